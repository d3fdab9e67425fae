/** prompt: a free-form task for the agent's model, with the tools its config grants. */
import { quoted } from '../agent/tools/gated.ts';
import { runToolLoop } from '../agent/tools/tool-loop.ts';
import { reasonOf } from './approval-gate.ts';
import { payloadOf, TaskFailure, type TaskKind } from './kind.ts';

export const promptTask: TaskKind = {
  name: 'prompt',
  notify: ['owner'],
  checkPayload: (payload) =>
    typeof payload?.prompt === 'string' ? [] : [{ key: 'prompt', message: 'a prompt schedule needs payload.prompt: the text for the model' }],
  async run(ctx) {
    const prompt = payloadOf(ctx.task).prompt;
    if (typeof prompt !== 'string' || !prompt.trim()) throw new TaskFailure('a prompt task needs payload.prompt: the text for the model', { retry: false });
    let tools = 0;
    try {
      const r = await runToolLoop({
        model: ctx.model,
        system: ctx.prompt,
        messages: [{ role: 'user', content: `A task from the queue (${ctx.task.id}). Do it completely with your tools, then say in a few lines what you did and whether it succeeded.\n\n${prompt}` }],
        tools: ctx.tools,
        signal: ctx.signal,
        context: { serving: { id: ctx.task.id, reason: `${reasonOf(ctx)}: ${quoted(prompt)}` } },
        onTool: (t) => {
          tools++;
          ctx.logger.info({ task: ctx.task.id, tool: t.name, ok: t.ok }, 'tool call');
        },
      });
      return { summary: `prompt task: ${r.steps} model call(s), ${r.toolCalls} tool call(s)${r.stoppedByLimit ? ', stopped at the step limit' : ''}`, detail: r.text, result: { text: r.text, steps: r.steps, toolCalls: r.toolCalls } };
    } catch (err) {
      // Tools acted: running the whole prompt again could repeat them.
      if (tools > 0) throw new TaskFailure(`prompt task failed after ${tools} tool call(s): ${(err as Error).message}`, { retry: false, cause: err });
      throw err;
    }
  },
};
