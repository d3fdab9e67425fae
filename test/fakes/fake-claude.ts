/**
 * A fake `claude` CLI for tests: takes the flags agentnet passes to `claude -p`, reads the prompt
 * from stdin and prints the documented stream-json events (system init, assistant, user, result).
 * It is kept only for the faults the real CLI (test/helpers/real-claude.ts) cannot be made to
 * produce, and for what we pass it. What it does depends on a word in the request's content:
 *   hang     - starts a grandchild (sleep) and never finishes; pids go to $FAKE_CLAUDE_STATE
 *   crash    - says "fatal" on stderr and exits 3
 *   anything else: "echo: <content> (turn 1 of session S)"
 * Every call's argv, prompt and MCP config go to $FAKE_CLAUDE_LOG (JSON lines).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const argv = process.argv.slice(2);
const has = (flag: string) => argv.includes(flag);
const value = (flag: string) => (has(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
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
const mcpConfig = value('--mcp-config');
// The MCP config as the run saw it (a run's own config is removed after it).
const mcp = mcpConfig ? (JSON.parse(readFileSync(mcpConfig, 'utf8')) as { mcpServers: Record<string, { args: string[] }> }) : undefined;
if (process.env.FAKE_CLAUDE_LOG) appendFileSync(process.env.FAKE_CLAUDE_LOG, JSON.stringify({ argv, prompt, cwd: process.cwd(), mcp }) + '\n');
// The request's own words, inside agentnet's <message> envelope.
const content = /<message[^>]*>\n([\s\S]*)\n<\/message>/.exec(prompt)?.[1] ?? prompt;

const sessionId = randomUUID();
emit({
  type: 'system',
  subtype: 'init',
  session_id: sessionId,
  cwd: process.cwd(),
  model: value('--model') ?? 'claude-sonnet-4-6',
  permissionMode: 'default',
  tools: (value('--tools') ?? '').split(',').filter(Boolean),
  mcp_servers: mcp ? Object.keys(mcp.mcpServers).map((name) => ({ name, status: 'connected' })) : [],
});

const finish = (result: string, extra: Record<string, unknown> = {}) => {
  emit({
    type: 'result',
    subtype: 'success',
    is_error: false,
    duration_ms: 40,
    duration_api_ms: 30,
    num_turns: 1,
    result,
    session_id: sessionId,
    total_cost_usd: 0.0125,
    usage: { input_tokens: 120, output_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    permission_denials: [],
    ...extra,
  });
  process.exit(0);
};

if (/\bhang\b/.test(content)) {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  writeFileSync(join(state, 'hang.pids'), JSON.stringify({ claude: process.pid, grandchild: child.pid }));
  process.on('SIGTERM', () => {}); // a hung CLI that ignores SIGTERM: only SIGKILL stops it
  await sleep(1e9);
} else if (/\bcrash\b/.test(content)) {
  process.stderr.write('fatal: the fake claude crashed on purpose\n');
  process.exit(3);
} else {
  finish(`echo: ${content} (turn 1 of session ${sessionId})`);
}
