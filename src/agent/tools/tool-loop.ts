/**
 * The tool loop: call the model, run the tools it asks for, give it the results, repeat until
 * it answers in text or the step limit is reached. Unknown tools, invalid arguments and tool
 * failures go back to the model as error results; they never crash the agent. A tool that waits
 * for the owner's yes (tools/gated.ts) holds the loop until the answer.
 */
import type { Tool } from './tool.ts';
import type { ChatMessage, Model, ModelResponse } from '../../models/model.ts';

export interface ToolLoopOptions {
  model: Model;
  system: string;
  messages: ChatMessage[];
  tools: Tool[];
  /** Model calls at most (default 8). */
  maxSteps?: number;
  signal?: AbortSignal;
  /** Passed to the model: the conversation the call belongs to. */
  conversation?: string;
  context?: Parameters<Tool['run']>[1];
  onCall?: (response: ModelResponse) => void;
  onTool?: (info: { name: string; ok: boolean; result: string }) => void;
}

export interface ToolLoopResult {
  text: string;
  steps: number;
  toolCalls: number;
  stoppedByLimit: boolean;
}

const clip = (s: string, n = 16_000) => (s.length > n ? `${s.slice(0, n)}\n[... ${s.length - n} more characters]` : s);

export async function runToolLoop(o: ToolLoopOptions): Promise<ToolLoopResult> {
  const maxSteps = o.maxSteps ?? 8;
  const byName = new Map(o.tools.map((t) => [t.spec.name, t]));
  const messages = [...o.messages];
  let toolCalls = 0;
  let last = '';
  for (let step = 1; step <= maxSteps; step++) {
    const res = await o.model.complete({
      system: o.system,
      messages,
      tools: o.tools.map((t) => t.spec),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.conversation ? { conversation: o.conversation } : {}),
      ...(o.context?.serving ? { serving: o.context.serving.id } : {}),
    });
    o.onCall?.(res);
    last = res.text;
    if (res.toolCalls.length === 0) return { text: res.text, steps: step, toolCalls, stoppedByLimit: false };
    messages.push({ role: 'assistant', content: res.text, toolCalls: res.toolCalls });
    for (const call of res.toolCalls) {
      toolCalls++;
      const tool = byName.get(call.name);
      let result: string;
      let ok = false;
      if (!tool) {
        result = `unknown tool "${call.name}"; the tools you have are: ${[...byName.keys()].join(', ') || 'none'}`;
      } else {
        const parsed = tool.input.safeParse(call.input);
        if (!parsed.success) {
          result = `invalid arguments for ${call.name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`;
        } else {
          try {
            result = clip(await tool.run(parsed.data, { ...o.context, ...(o.signal ? { signal: o.signal } : {}) }));
            ok = true;
          } catch (err) {
            if (o.signal?.aborted) throw err; // stopping (or out of time): the turn ends here, not with the model
            result = `${call.name} failed: ${(err as Error).message}`;
          }
        }
      }
      o.onTool?.({ name: call.name, ok, result });
      messages.push({ role: 'tool', toolCallId: call.id, content: result, ...(ok ? {} : { isError: true }) });
    }
  }
  return { text: last || `(stopped after ${maxSteps} model calls without a final answer)`, steps: maxSteps, toolCalls, stoppedByLimit: true };
}
