/** A fake Anthropic Messages API (POST /v1/messages) speaking the documented wire format. */
import { startScriptedServer, type ScriptedServer, type Step } from './scripted-server.ts';

export interface AnthropicReply {
  text?: string;
  toolUses?: Array<{ id: string; name: string; input: unknown }>;
  usage?: { input_tokens: number; output_tokens: number };
}

let n = 0;

export function startFakeAnthropic(): Promise<ScriptedServer<AnthropicReply>> {
  return startScriptedServer<AnthropicReply>('/v1/messages', (r, body) => ({
    id: `msg_fake_${++n}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [
      ...(r.text !== undefined ? [{ type: 'text', text: r.text }] : []),
      ...(r.toolUses ?? []).map((t) => ({ type: 'tool_use', id: t.id, name: t.name, input: t.input })),
    ],
    stop_reason: r.toolUses?.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: r.usage ?? { input_tokens: 25, output_tokens: 10 },
  }));
}

export const anthropicError = (status: number, type: string, headers?: Record<string, string>): Step<AnthropicReply> => ({
  error: status,
  body: { type: 'error', error: { type, message: `fake ${type}` } },
  ...(headers ? { headers } : {}),
});
