/** A fake Anthropic Messages API (POST /v1/messages) speaking the documented wire format. */
import { startScriptedServer, type ScriptedServer, type Step } from './scripted-server.ts';

export interface AnthropicReply {
  text?: string;
  toolUses?: Array<{ id: string; name: string; input: unknown }>;
  usage?: { input_tokens: number; output_tokens: number };
}

let n = 0;

/** Models the fake knows (GET /v1/models/{id}) and, when given, the only API keys it accepts there. */
export interface FakeAnthropicOptions {
  models?: string[];
  keys?: string[];
  /** What to answer when no scripted step is left (a soak answers every request this way). */
  respond?: (body: any) => Step<AnthropicReply>;
  /** Keep only the last N requests. */
  keep?: number;
}

export function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<ScriptedServer<AnthropicReply>> {
  const models = options.models ?? ['claude-sonnet-4-6'];
  const lookup = (path: string, headers: Record<string, string | string[] | undefined>): [number, unknown] | undefined => {
    const m = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (!m) return undefined;
    // The SDK sends the key as x-api-key or (newer versions) as a bearer token.
    const key = headers['x-api-key'] ?? String(headers.authorization ?? '').replace(/^Bearer /, '');
    if (options.keys && !options.keys.includes(String(key))) return [401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }];
    const id = decodeURIComponent(m[1]!);
    if (!models.includes(id)) return [404, { type: 'error', error: { type: 'not_found_error', message: `model: ${id}` } }];
    return [200, { type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' }];
  };
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
  }), lookup, { ...(options.respond ? { fallback: options.respond } : {}), ...(options.keep !== undefined ? { keep: options.keep } : {}) });
}

export const anthropicError = (status: number, type: string, headers?: Record<string, string>): Step<AnthropicReply> => ({
  error: status,
  body: { type: 'error', error: { type, message: `fake ${type}` } },
  ...(headers ? { headers } : {}),
});
