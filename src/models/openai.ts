/** The `openai` provider: Chat Completions through the official SDK; any compatible server via baseUrl (Ollama, vLLM, llama.cpp). */
import OpenAI from 'openai';
import type { ModelConfig } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import type { ChatMessage, Model, ModelRequest, ToolCall } from './model.ts';
import { withRetries, type RetryOptions } from './retry.ts';

type Msg = OpenAI.Chat.Completions.ChatCompletionMessageParam;

export function toOpenAIMessages(system: string, messages: ChatMessage[]): Msg[] {
  const out: Msg[] = [{ role: 'system', content: system }];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: m.content || null,
        ...(m.toolCalls?.length
          ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.input ?? {}) } })) }
          : {}),
      });
    } else out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.isError ? `ERROR: ${m.content}` : m.content });
  }
  return out;
}

export function createOpenAIModel(config: ModelConfig, retry: Omit<RetryOptions, 'signal'> = {}): Model {
  if (!config.name) throw new AgentnetError('MODEL_UNAVAILABLE', 'the openai model needs a name, e.g. openai:gpt-4o (or the model an Ollama/vLLM server serves)');
  const apiKey = config.apiKey ?? process.env.OPENAI_API_KEY ?? (config.baseUrl ? 'none' : undefined);
  if (!apiKey) throw new AgentnetError('MODEL_UNAVAILABLE', 'no OpenAI API key: set OPENAI_API_KEY or model.apiKey (local servers need only model.baseUrl)');
  const client = new OpenAI({ apiKey, maxRetries: 0, timeout: config.timeoutMs ?? 120_000, ...(config.baseUrl ? { baseURL: config.baseUrl } : {}) });
  const model = config.name;
  return {
    id: `openai:${model}`,
    isLanguageModel: true,
    async complete(req: ModelRequest) {
      const res = await withRetries(
        () =>
          client.chat.completions.create(
            {
              model,
              messages: toOpenAIMessages(req.system, req.messages),
              ...(config.maxTokens ? { max_tokens: config.maxTokens } : {}),
              ...(req.tools?.length
                ? { tools: req.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.inputSchema } })) }
                : {}),
            },
            req.signal ? { signal: req.signal } : {},
          ),
        { attempts: (config.maxRetries ?? 5) + 1, ...retry, ...(req.signal ? { signal: req.signal } : {}) },
      );
      const choice = res.choices[0];
      const toolCalls: ToolCall[] = [];
      for (const c of choice?.message.tool_calls ?? []) {
        if (c.type !== 'function') continue;
        let input: unknown;
        try {
          input = JSON.parse(c.function.arguments || '{}');
        } catch {
          input = { __unparsable: c.function.arguments }; // the tool loop reports it back to the model
        }
        toolCalls.push({ id: c.id, name: c.function.name, input });
      }
      return {
        text: choice?.message.content ?? '',
        toolCalls,
        usage: { inputTokens: res.usage?.prompt_tokens ?? 0, outputTokens: res.usage?.completion_tokens ?? 0 },
      };
    },
  };
}
