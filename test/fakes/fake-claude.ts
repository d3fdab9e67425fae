/**
 * A fake `claude` CLI for tests: takes the flags agentnet passes to `claude -p`, reads the prompt
 * from stdin and prints the documented stream-json events (system init, assistant, user, result).
 * What it does depends on a word in the request's content:
 *   network  - connects to the MCP server of --mcp-config (really: the SDK client over stdio),
 *              calls network_status and memory_set if allowed, answers with what it saw
 *   hang     - starts a grandchild (sleep) and never finishes; pids go to $FAKE_CLAUDE_STATE
 *   crash    - says "fatal" on stderr and exits 3
 *   turns    - uses tools until the --max-turns limit (result error_max_turns)
 *   denied   - tries Bash, which is not allowed (a permission denial), then answers
 *   silent   - finishes "successfully" with an empty result
 *   overload - the first time: an API 529 error result; then answers
 *   anything else: "echo: <content> (turn N of session S)"
 * Every call's argv and prompt go to $FAKE_CLAUDE_LOG (JSON lines); sessions live in
 * $FAKE_CLAUDE_STATE, so --resume of an unknown session fails as the real CLI does.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const argv = process.argv.slice(2);
const has = (flag: string) => argv.includes(flag);
const value = (flag: string) => (has(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const list = (flag: string): string[] => {
  const i = argv.indexOf(flag);
  if (i < 0) return [];
  const out: string[] = [];
  for (let j = i + 1; j < argv.length && !argv[j]!.startsWith('--'); j++) out.push(argv[j]!);
  return out;
};
const emit = (ev: Record<string, unknown>) => process.stdout.write(JSON.stringify(ev) + '\n');
const state = process.env.FAKE_CLAUDE_STATE!;

if (!has('-p') && !has('--print')) {
  process.stderr.write('fake claude: only print mode (-p) is faked\n');
  process.exit(2);
}
if (value('--output-format') === 'stream-json' && !has('--verbose')) {
  process.stderr.write('Error: When using --print, --output-format=stream-json requires --verbose\n');
  process.exit(1);
}

let prompt = '';
for await (const chunk of process.stdin) prompt += chunk;
if (process.env.FAKE_CLAUDE_LOG) appendFileSync(process.env.FAKE_CLAUDE_LOG, JSON.stringify({ argv, prompt, cwd: process.cwd() }) + '\n');
// The request's own words, inside agentnet's <message> envelope.
const content = /<message[^>]*>\n([\s\S]*)\n<\/message>/.exec(prompt)?.[1] ?? prompt;

const resume = value('--resume');
const sessionFile = (id: string) => join(state, `session-${id}.json`);
if (resume && !existsSync(sessionFile(resume))) {
  emit({ type: 'result', subtype: 'error_during_execution', is_error: true, duration_ms: 3, num_turns: 0, session_id: randomUUID(), total_cost_usd: 0, usage: { input_tokens: 0, output_tokens: 0 }, permission_denials: [], errors: [`No conversation found with session ID: ${resume}`] });
  process.exit(1);
}
const sessionId = resume ?? randomUUID();
const session = resume ? (JSON.parse(readFileSync(sessionFile(resume), 'utf8')) as { turns: string[] }) : { turns: [] as string[] };
session.turns.push(content);
writeFileSync(sessionFile(sessionId), JSON.stringify(session));

const allowed = list('--allowedTools');
const disallowed = list('--disallowedTools');
const maxTurns = Number(value('--max-turns') ?? 1000);
const mcpConfig = value('--mcp-config');
emit({
  type: 'system',
  subtype: 'init',
  session_id: sessionId,
  cwd: process.cwd(),
  model: value('--model') ?? 'claude-sonnet-4-6',
  permissionMode: 'default',
  tools: ['Bash', 'Read', ...allowed.filter((t) => t.startsWith('mcp__'))],
  mcp_servers: mcpConfig ? Object.keys((JSON.parse(readFileSync(mcpConfig, 'utf8')) as { mcpServers: object }).mcpServers).map((name) => ({ name, status: 'connected' })) : [],
});

let turns = 0;
const denials: Array<{ tool_name: string; tool_use_id: string; tool_input: unknown }> = [];
const assistant = (blocks: unknown[]) => {
  turns++;
  emit({ type: 'assistant', session_id: sessionId, message: { id: `msg_${turns}`, type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: blocks, stop_reason: 'tool_use', usage: { input_tokens: 50, output_tokens: 10 } } });
};
const toolResult = (id: string, text: string, isError = false) =>
  emit({ type: 'user', session_id: sessionId, message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: text, is_error: isError }] } });
const finish = (result: string, extra: Record<string, unknown> = {}) => {
  emit({
    type: 'result',
    subtype: 'success',
    is_error: false,
    duration_ms: 40,
    duration_api_ms: 30,
    num_turns: turns + 1,
    result,
    session_id: sessionId,
    total_cost_usd: 0.0125,
    usage: { input_tokens: 120, output_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    permission_denials: denials,
    ...extra,
  });
  process.exit(0);
};

/** Calls a tool the way Claude Code does: only if allowed, else a permission denial. */
async function useTool(name: string, input: Record<string, unknown>, run: () => Promise<string>): Promise<string | undefined> {
  const id = `toolu_${turns}_${name}`;
  assistant([{ type: 'tool_use', id, name, input }]);
  if (disallowed.includes(name) || !allowed.includes(name)) {
    denials.push({ tool_name: name, tool_use_id: id, tool_input: input });
    toolResult(id, `Claude requested permissions to use ${name}, but you haven't granted it yet.`, true);
    return undefined;
  }
  const text = await run();
  toolResult(id, text);
  return text;
}

if (/\bhang\b/.test(content)) {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  writeFileSync(join(state, 'hang.pids'), JSON.stringify({ claude: process.pid, grandchild: child.pid }));
  process.on('SIGTERM', () => {}); // a hung CLI that ignores SIGTERM: only SIGKILL stops it
  await sleep(1e9);
} else if (/\bcrash\b/.test(content)) {
  process.stderr.write('fatal: the fake claude crashed on purpose\n');
  process.exit(3);
} else if (/\bturns\b/.test(content)) {
  while (turns < maxTurns) await useTool('mcp__agentnet__network_status', {}, async () => 'ok');
  emit({ type: 'result', subtype: 'error_max_turns', is_error: false, duration_ms: 50, num_turns: turns, session_id: sessionId, total_cost_usd: 0.02, usage: { input_tokens: 300, output_tokens: 60 }, permission_denials: [] });
  process.exit(0);
} else if (/\bdenied\b/.test(content)) {
  await useTool('Bash', { command: 'rm -rf /srv/www' }, async () => 'done');
  finish('I could not run the command.');
} else if (/\bsilent\b/.test(content)) {
  finish('');
} else if (/\boverload\b/.test(content)) {
  const marker = join(state, 'overloaded-once');
  if (!existsSync(marker)) {
    writeFileSync(marker, '1');
    emit({ type: 'result', subtype: 'success', is_error: true, duration_ms: 10, num_turns: 1, result: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', session_id: sessionId, total_cost_usd: 0, usage: { input_tokens: 0, output_tokens: 0 }, permission_denials: [] });
    process.exit(1);
  }
  finish('answered after the overload');
} else if (/\bnetwork\b/.test(content)) {
  const servers = (JSON.parse(readFileSync(mcpConfig!, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[] }> }).mcpServers;
  const server = servers.agentnet!;
  const client = new Client({ name: 'fake-claude', version: '0.0.0' });
  await client.connect(new StdioClientTransport({ command: server.command, args: server.args, stderr: 'ignore' }));
  const textOf = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0]!.text;
  const status = await useTool('mcp__agentnet__network_status', {}, async () => textOf(await client.callTool({ name: 'network_status', arguments: {} })));
  const stored = await useTool('mcp__agentnet__memory_set', { namespace: 'notes', key: 'headless', value: 'was here' }, async () => {
    const r = (await client.callTool({ name: 'memory_set', arguments: { namespace: 'notes', key: 'headless', value: 'was here' } })) as { isError?: boolean };
    if (r.isError) throw new Error(`memory_set failed: ${textOf(r)}`);
    return textOf(r);
  });
  // A disallowed tool is not in the model's context at all: it never tries it.
  const replyVisible = !disallowed.includes('mcp__agentnet__bridge_reply');
  await client.close();
  finish(`network seen: ${status?.split('\n')[0] ?? 'no status'}; memory: ${stored ? 'stored' : 'not allowed'}; reply tool: ${replyVisible ? 'visible' : 'hidden'}`);
} else {
  finish(`echo: ${content} (turn ${session.turns.length} of session ${sessionId})`);
}
