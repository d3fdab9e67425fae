/** The `anthropic` provider: the Messages API through the official SDK. */
import Anthropic from '@anthropic-ai/sdk';
import type { ModelConfig } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import type { ChatMessage, Model, ModelRequest, ToolCall } from './model.ts';
import { withRetries, type RetryOptions } from './retry.ts';

type Block = Anthropic.ContentBlockParam;

/** Our messages as the Messages API wants them: tool results ride in a user turn. */
export function toAnthropicMessages(messages: ChatMessage[]): Anthropic.MessageParam[] {
  const out: Anthropic.MessageParam[] = [];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant') {
      const content: Block[] = [];
      if (m.content) content.push({ type: 'text', text: m.content });
      for (const c of m.toolCalls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.input as Record<string, unknown> });
      out.push({ role: 'assistant', content });
    } else {
      const block: Block = { type: 'tool_result', tool_use_id: m.toolCallId, content: m.content, ...(m.isError ? { is_error: true } : {}) };
      const last = out[out.length - 1];
      if (last?.role === 'user' && Array.isArray(last.content)) last.content.push(block);
      else out.push({ role: 'user', content: [block] });
    }
  }
  return out;
}

export function createAnthropicModel(config: ModelConfig, retry: Omit<RetryOptions, 'signal'> = {}): Model {
  if (!config.name) throw new AgentnetError('MODEL_UNAVAILABLE', 'the anthropic model needs a name, e.g. anthropic:claude-sonnet-4-6');
  const apiKey = config.apiKey ?? process.env.ANTHROPIC_API_KEY;
  if (!apiKey) throw new AgentnetError('MODEL_UNAVAILABLE', 'no Anthropic API key: set ANTHROPIC_API_KEY or model.apiKey: ${ANTHROPIC_API_KEY}');
  const client = new Anthropic({
    apiKey,
    maxRetries: 0,
    timeout: config.timeoutMs ?? 120_000,
    ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
  });
  const model = config.name;
  return {
    id: `anthropic:${model}`,
    isLanguageModel: true,
    async complete(req: ModelRequest) {
      const res = await withRetries(
        () =>
          client.messages.create(
            {
              model,
              max_tokens: config.maxTokens ?? 4096,
              system: req.system,
              messages: toAnthropicMessages(req.messages),
              ...(req.tools?.length
                ? { tools: req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema as Anthropic.Tool.InputSchema })) }
                : {}),
            },
            req.signal ? { signal: req.signal } : {},
          ),
        { attempts: (config.maxRetries ?? 5) + 1, ...retry, ...(req.signal ? { signal: req.signal } : {}) },
      );
      const toolCalls: ToolCall[] = [];
      let text = '';
      for (const block of res.content) {
        if (block.type === 'text') text += block.text;
        else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, input: block.input });
      }
      return { text, toolCalls, usage: { inputTokens: res.usage.input_tokens, outputTokens: res.usage.output_tokens } };
    },
  };
}
