/** A fake OpenAI-compatible Chat Completions API (POST /v1/chat/completions). */
import { startScriptedServer, type ScriptedServer, type Step } from './scripted-server.ts';

export interface OpenAIReply {
  text?: string;
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

let n = 0;

export function startFakeOpenAI(): Promise<ScriptedServer<OpenAIReply>> {
  return startScriptedServer<OpenAIReply>('/v1/chat/completions', (r, body) => ({
    id: `chatcmpl-fake-${++n}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: r.text ?? null,
          ...(r.toolCalls?.length ? { tool_calls: r.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })) } : {}),
        },
        finish_reason: r.toolCalls?.length ? 'tool_calls' : 'stop',
      },
    ],
    usage: { ...(r.usage ?? { prompt_tokens: 25, completion_tokens: 10 }), total_tokens: (r.usage?.prompt_tokens ?? 25) + (r.usage?.completion_tokens ?? 10) },
  }));
}

export const openaiError = (status: number, type: string, headers?: Record<string, string>): Step<OpenAIReply> => ({
  error: status,
  body: { error: { message: `fake ${type}`, type, code: type } },
  ...(headers ? { headers } : {}),
});
