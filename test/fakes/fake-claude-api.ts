/**
 * A fake Anthropic Messages API for the real Claude Code CLI: it answers
 * `POST /v1/messages?beta=true` with `stream: true` as server-sent events (message_start,
 * content_block_start / _delta (text_delta, input_json_delta) / _stop, message_delta with
 * stop_reason and usage, message_stop), which is all the CLI sends. Replies are scripted by
 * conversation state: a function from the request body (messages so far, tools offered,
 * system) to the next reply, so a test says "not yet offered the agentnet tools: ToolSearch;
 * after the inbox result: claim; …; finally text". Every request is recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface ToolUse {
  name: string;
  input: unknown;
  id?: string;
}

/** The next assistant message: text and/or tool calls; or an HTTP error; or a hang-up. */
export type ApiReply =
  | { text?: string; toolUses?: ToolUse[]; usage?: { input_tokens: number; output_tokens: number }; stopReason?: string }
  | { error: number; type?: string; message?: string }
  | { drop: true };

export interface ApiRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export type Scripter = (body: any, req?: ApiRequest) => ApiReply;

export interface FakeClaudeApi {
  url: string;
  requests: ApiRequest[];
  /** Replaces the script (the function that picks each reply). */
  setScript(s: Scripter): void;
  close(): Promise<void>;
}

let ids = 0;

export async function startFakeClaudeApi(script: Scripter = () => ({ text: 'ok' })): Promise<FakeClaudeApi> {
  let scripter = script;
  const requests: ApiRequest[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      const path = req.url ?? '';
      if (req.method !== 'POST' || path.split('?')[0] !== '/v1/messages') {
        return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `fake: no route ${req.method} ${path}` } }));
      }
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        return void res.writeHead(400).end();
      }
      const r: ApiRequest = { path, headers: req.headers, body };
      requests.push(r);
      let reply: ApiReply;
      try {
        reply = scripter(body, r);
      } catch (err) {
        reply = { error: 500, type: 'api_error', message: `fake script threw: ${(err as Error).message}` };
      }
      respond(reply, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript: (s) => void (scripter = s),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function respond(reply: ApiReply, body: any, res: ServerResponse): void {
  if ('drop' in reply) return void res.socket?.destroy();
  if ('error' in reply) {
    const type = reply.type ?? 'api_error';
    return void res.writeHead(reply.error, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type, message: reply.message ?? `fake ${type}` } }));
  }
  if (body?.stream === false) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(messageOf(reply, body)));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const [event, data] of sseEvents(reply, body)) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

type Content = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

function contentOf(reply: { text?: string; toolUses?: ToolUse[] }): Content[] {
  return [
    ...(reply.text !== undefined ? [{ type: 'text' as const, text: reply.text }] : []),
    ...(reply.toolUses ?? []).map((t) => ({ type: 'tool_use' as const, id: t.id ?? `toolu_fake_${++ids}`, name: t.name, input: t.input })),
  ];
}

function messageOf(reply: Extract<ApiReply, { text?: string }>, body: any) {
  const content = contentOf(reply);
  return {
    id: `msg_fake_${++ids}`,
    type: 'message',
    role: 'assistant',
    model: body?.model ?? 'claude-fake',
    content,
    stop_reason: reply.stopReason ?? (content.some((c) => c.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: reply.usage ?? { input_tokens: 100, output_tokens: 20 },
  };
}

function sseEvents(reply: Extract<ApiReply, { text?: string }>, body: any): Array<[string, unknown]> {
  const m = messageOf(reply, body);
  const out: Array<[string, unknown]> = [
    ['message_start', { type: 'message_start', message: { ...m, content: [], stop_reason: null, usage: { input_tokens: m.usage.input_tokens, output_tokens: 1 } } }],
  ];
  m.content.forEach((c, index) => {
    if (c.type === 'text') {
      out.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
      out.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: c.text } }]);
    } else {
      out.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } }]);
      out.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(c.input) } }]);
    }
    out.push(['content_block_stop', { type: 'content_block_stop', index }]);
  });
  out.push(['message_delta', { type: 'message_delta', delta: { stop_reason: m.stop_reason, stop_sequence: null }, usage: { output_tokens: m.usage.output_tokens } }]);
  out.push(['message_stop', { type: 'message_stop' }]);
  return out;
}

// ---- Reading the conversation state of a request body ----

/** Names of the tools a request offers the model. */
export const toolNames = (body: any): string[] => (body?.tools ?? []).map((t: any) => String(t.name));

/** The system prompt of a request as one string. */
export const systemText = (body: any): string =>
  typeof body?.system === 'string' ? body.system : (body?.system ?? []).map((b: any) => b?.text ?? '').join('\n');

/** All the text of a request's messages (user, assistant, tool results), for "does it mention …". */
export function messagesText(body: any): string {
  const parts: string[] = [];
  const walk = (c: any): void => {
    if (typeof c === 'string') parts.push(c);
    else if (Array.isArray(c)) c.forEach(walk);
    else if (c && typeof c === 'object') {
      if (typeof c.text === 'string') parts.push(c.text);
      if (c.content !== undefined) walk(c.content);
      if (c.input !== undefined) parts.push(JSON.stringify(c.input));
    }
  };
  walk(body?.messages ?? []);
  return parts.join('\n');
}

/** The tool calls the model made so far in this conversation, in order, each with its result text. */
export function toolCalls(body: any): Array<{ name: string; input: any; result?: string; isError?: boolean }> {
  const calls: Array<{ id: string; name: string; input: any; result?: string; isError?: boolean }> = [];
  for (const m of body?.messages ?? []) {
    if (!Array.isArray(m.content)) continue;
    for (const c of m.content) {
      if (c.type === 'tool_use') calls.push({ id: c.id, name: c.name, input: c.input });
      if (c.type === 'tool_result') {
        const call = calls.find((x) => x.id === c.tool_use_id);
        if (!call) continue;
        call.result = typeof c.content === 'string' ? c.content : (c.content ?? []).map((x: any) => x?.text ?? JSON.stringify(x)).join('\n');
        if (c.is_error) call.isError = true;
      }
    }
  }
  return calls.map(({ id: _id, ...rest }) => rest);
}

/** The text of the newest prompt in a request (the user turn that is not a tool result nor a reminder). */
export function lastPrompt(body: any): string {
  for (const m of [...(body?.messages ?? [])].reverse()) {
    if (m.role !== 'user') continue;
    const texts: string[] = typeof m.content === 'string' ? [m.content] : (m.content ?? []).filter((c: any) => c.type === 'text').map((c: any) => String(c.text));
    const prompt = texts.filter((t) => !t.startsWith('<system-reminder>')).join('\n');
    if (prompt) return prompt;
  }
  return '';
}

/** The content of the bridge message in a headless run's prompt (<message ...>content</message>). */
export const requestContent = (body: any): string => /<message[^>]*>\n?([\s\S]*?)\n?<\/message>/.exec(lastPrompt(body))?.[1] ?? '';

/** The newest tool call and its result, if the conversation's last message answers one. */
export const lastCall = (body: any) => toolCalls(body).at(-1);

/** True when this is Claude Code's own side request (title, topic…) rather than the main loop. */
export const isMainLoop = (body: any): boolean => toolNames(body).length > 0;

/** One step of a scripted conversation: call a tool (input may read the conversation so far), or answer. */
export type PlanStep = { tool: string; input?: unknown | ((body: any) => unknown) } | { text: string | ((body: any) => string) };

/**
 * A script that walks `steps` in order by conversation state: the number of tool calls the
 * model has made so far (ToolSearch calls aside) is the step it is at. An MCP tool that
 * Claude Code has not yet loaded into `tools` (they arrive deferred) is first fetched with
 * ToolSearch ("select:" every MCP tool the plan uses). A request offering no tools at all
 * (one of Claude Code's own side requests) gets a short text.
 */
export function plan(...steps: PlanStep[]): Scripter {
  const mcpTools = [...new Set(steps.flatMap((s) => ('tool' in s && s.tool.startsWith('mcp__') ? [s.tool] : [])))];
  return (body) => {
    if (!isMainLoop(body)) return { text: 'side request' };
    const done = toolCalls(body).filter((c) => c.name !== 'ToolSearch').length;
    const step = steps[Math.min(done, steps.length - 1)]!;
    if ('text' in step) return { text: typeof step.text === 'function' ? step.text(body) : step.text };
    const offered = toolNames(body);
    if (step.tool.startsWith('mcp__') && !offered.includes(step.tool) && toolCalls(body).filter((c) => c.name === 'ToolSearch').length < 3) {
      return { toolUses: [{ name: 'ToolSearch', input: { query: `select:${mcpTools.join(',')}` } }] };
    }
    const input = typeof step.input === 'function' ? (step.input as (b: any) => unknown)(body) : (step.input ?? {});
    return { toolUses: [{ name: step.tool, input }] };
  };
}

/**
 * What an interactive session asked to "answer the pending requests" does: bridge_inbox,
 * bridge_claim of the first id the inbox's result shows (read as the model sees it),
 * bridge_reply with `content`, then a closing text.
 */
export function answerPending(content: string, closing = 'answered the pending request'): Scripter {
  return plan(
    { tool: 'mcp__agentnet__bridge_inbox' },
    { tool: 'mcp__agentnet__bridge_claim', input: (b: any) => ({ id: /"id":"([^"]+)"/.exec(toolCalls(b).at(-1)?.result ?? '')?.[1] ?? 'no id seen' }) },
    { tool: 'mcp__agentnet__bridge_reply', input: (b: any) => ({ id: toolCalls(b).at(-1)!.input.id, content }) },
    { text: closing },
  );
}
