/**
 * model: claude-code against a fake `claude` executable that speaks the CLI's stream-json
 * output: the production runner spawns it, reads its events and judges the outcome.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { createClaudeCodeModel } from '../../src/models/claude-code.ts';
import type { Model, ModelRequest } from '../../src/models/model.ts';
import { retryable } from '../../src/models/retry.ts';
import { fakeClaude } from '../fakes/claude-bin.ts';
import { freePort, tempDir, waitFor } from '../helpers/util.ts';

/** Whether pid still runs. A zombie (killed, awaiting reaping by its new parent) does not. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};
/** SIGKILL is delivered asynchronously: on a busy machine the process may still be scheduled out. */
const gone = (pid: number, what: string) => waitFor(() => !alive(pid), what, 5_000);

describe('model: claude-code (headless Claude Code)', () => {
  const t = tempDir();
  const fake = fakeClaude(t.dir);
  let config: Config;
  const env = { ...process.env, FAKE_CLAUDE_LOG: fake.log, FAKE_CLAUDE_STATE: fake.state };
  const model = (over: Record<string, unknown> = {}): Model =>
    createClaudeCodeModel({ ...config.agents.claude!.model, ...over }, { agent: 'claude', network: config, env });
  const ask = (m: Model, content: string, extra: Partial<ModelRequest> = {}) =>
    m.complete({ system: 'You are claude, the orchestrator.', messages: [{ role: 'user', content: `A request from "kami".\n<message from="kami" id="m1">\n${content}\n</message>` }], ...extra });
  const calls = () => readFileSync(fake.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; prompt: string; cwd: string });
  const lastCall = () => calls().at(-1)!;
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(() => assert.fail('expected the run to fail'), (e: unknown) => e);
    assert.ok(isAgentnetError(err), String(err));
    return err as Error & { code: string; usage?: { costUsd?: number }; sideEffects?: boolean };
  };

  before(async () => {
    const file = join(t.dir, 'agentnet.yaml');
    writeFileSync(
      file,
      `network: cc
agents:
  claude:
    role: orchestrator
    health: { port: ${await freePort()} }
    model: { provider: claude-code, command: ${fake.command}, maxTurns: 4, timeoutMs: 20000, cwd: work, allowedTools: ["Read"] }
    tools: [memory_set, task_enqueue]
  kami: { role: relay, health: { port: ${await freePort()} } }
`,
    );
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(t.dir, 'work'));
    config = loadConfig(file, { env: {} }).config;
  });
  after(() => t.cleanup());

  it('runs claude -p with stream-json, the turn limit, the network MCP server and only the granted tools', async () => {
    const res = await ask(model(), 'hello there');
    assert.match(res.text, /^echo: hello there \(turn 1 of session [0-9a-f-]{36}\)$/);
    assert.deepEqual(res.toolCalls, []);
    assert.deepEqual(res.usage, { inputTokens: 120, outputTokens: 30, costUsd: 0.0125 });
    const { argv, prompt, cwd } = lastCall();
    const after = (flag: string) => argv[argv.indexOf(flag) + 1];
    assert.ok(argv.includes('-p') && argv.includes('--verbose') && argv.includes('--strict-mcp-config'));
    assert.equal(after('--output-format'), 'stream-json');
    assert.equal(after('--max-turns'), '4');
    assert.match(after('--append-system-prompt')!, /^You are claude, the orchestrator\.[\s\S]*headless/);
    assert.match(prompt, /<message from="kami" id="m1">\nhello there\n<\/message>/, 'the prompt goes in on stdin');
    assert.equal(cwd, join(t.dir, 'work'));
    // The MCP server is this agentnet's, for this config and agent.
    const mcp = JSON.parse(readFileSync(after('--mcp-config')!, 'utf8'));
    assert.deepEqual(mcp.mcpServers.agentnet.args.slice(1), ['mcp', '--config', config.file, '--as', 'claude', '--headless']);
    const allowed = argv.slice(argv.indexOf('--allowedTools') + 1, argv.indexOf('--disallowedTools'));
    assert.deepEqual(allowed, ['mcp__agentnet__task_enqueue', 'mcp__agentnet__task_status', 'mcp__agentnet__memory_set', 'mcp__agentnet__network_status', 'Read']);
    const disallowed = argv.slice(argv.indexOf('--disallowedTools') + 1);
    for (const hidden of ['bridge_inbox', 'bridge_claim', 'bridge_reply', 'bridge_send', 'memory_get']) assert.ok(disallowed.includes(`mcp__agentnet__${hidden}`), hidden);
    assert.ok(!argv.includes('--resume'), 'no conversation: no session to resume');
  });

  it("passes what is left of the agent's daily cost budget as --max-budget-usd, and the budget holds on Claude Code's reported cost", async () => {
    const { Budget, withBudget } = await import('../../src/models/budget.ts');
    // No price for claude-code: the cost Claude Code reports is what counts.
    const budget = new Budget(join(t.dir, 'usage.json'), { costPerDayUsd: 0.02 }, undefined);
    const m = withBudget(createClaudeCodeModel(config.agents.claude!.model, { agent: 'claude', network: config, env, costLeftUsd: () => budget.costLeftUsd() }), budget, () => {});
    await ask(m, 'first');
    assert.equal(lastCall().argv[lastCall().argv.indexOf('--max-budget-usd') + 1], '0.0200');
    await ask(m, 'second');
    assert.equal(lastCall().argv[lastCall().argv.indexOf('--max-budget-usd') + 1], '0.0075');
    const runs = calls().length;
    const err = await failure(ask(m, 'third'));
    assert.equal(err.code, 'BUDGET_EXHAUSTED');
    assert.equal(calls().length, runs, 'claude was not started once the budget was spent');
  });

  it('continues one Claude Code session per conversation, across a restart of the agent', async () => {
    const first = await ask(model(), 'first words', { conversation: 'whatsapp:972500000000@c.us' });
    const session = /session ([0-9a-f-]{36})/.exec(first.text)![1]!;
    const second = await ask(model(), 'more words', { conversation: 'whatsapp:972500000000@c.us' });
    assert.equal(second.text, `echo: more words (turn 2 of session ${session})`);
    assert.equal(lastCall().argv[lastCall().argv.indexOf('--resume') + 1], session);
    const other = await ask(model(), 'someone else', { conversation: 'whatsapp:972599999999@c.us' });
    assert.match(other.text, /turn 1 of session/);
    assert.doesNotMatch(other.text, new RegExp(session));
    // The sessions file outlives the model (an agent restart).
    const file = join(config.stateDir, 'agents', 'claude', 'claude-sessions.json');
    assert.equal(JSON.parse(readFileSync(file, 'utf8'))['whatsapp:972500000000@c.us'].id, session);
  });

  it('starts a new session when Claude Code no longer has the one to resume', async () => {
    const file = join(config.stateDir, 'agents', 'claude', 'claude-sessions.json');
    const sessions = JSON.parse(readFileSync(file, 'utf8'));
    sessions['telegram:42'] = { id: '00000000-0000-4000-8000-000000000000', lastUsed: new Date().toISOString() };
    writeFileSync(file, JSON.stringify(sessions));
    const res = await ask(model(), 'after a wipe', { conversation: 'telegram:42' });
    assert.match(res.text, /^echo: after a wipe \(turn 1 of session /);
    assert.doesNotMatch(res.text, /00000000-0000/);
  });

  it('kills a hung run with everything it started, and says it timed out', async () => {
    const err = await failure(ask(model({ timeoutMs: 1500 }), 'please hang'));
    assert.equal(err.code, 'CLAUDE_CODE_TIMEOUT');
    assert.match(err.message, /did not finish within 2 s/);
    const pids = JSON.parse(readFileSync(join(fake.state, 'hang.pids'), 'utf8')) as { claude: number; grandchild: number };
    await gone(pids.claude, 'the claude process (it ignored SIGTERM) to be killed');
    await gone(pids.grandchild, 'what it started to be killed too');
  });

  it('reports a crash with what claude said on stderr', async () => {
    const err = await failure(ask(model(), 'crash now'));
    assert.equal(err.code, 'CLAUDE_CODE_FAILED');
    assert.match(err.message, /exited with code 3: fatal: the fake claude crashed on purpose/);
    assert.equal(retryable(err).retry, false);
  });

  it('treats the turn limit as a failure, and counts what the run cost', async () => {
    const err = await failure(ask(model(), 'use many turns'));
    assert.equal(err.code, 'CLAUDE_CODE_TURN_LIMIT');
    assert.match(err.message, /turn limit \(4 turns; model\.maxTurns is 4\)/);
    assert.equal(err.usage?.costUsd, 0.02);
    assert.equal(err.sideEffects, undefined, 'network_status only reads: nothing acted');
  });

  it('treats a permission denial as a failure that names the tool and the fix', async () => {
    const err = await failure(ask(model(), 'you will be denied'));
    assert.equal(err.code, 'CLAUDE_CODE_PERMISSION_DENIED');
    assert.match(err.message, /was refused Bash; .*model\.allowedTools/);
  });

  it('treats "success" without an answer as a failure', async () => {
    const err = await failure(ask(model(), 'stay silent'));
    assert.equal(err.code, 'CLAUDE_CODE_NO_ANSWER');
  });

  it('marks an API overload as worth retrying, and the retry answers', async () => {
    const err = await failure(ask(model(), 'overload first'));
    assert.equal(err.code, 'CLAUDE_CODE_FAILED');
    assert.deepEqual(retryable(err), { retry: true, reason: 'HTTP 529' });
    assert.equal((await ask(model(), 'overload first')).text, 'answered after the overload');
  });

  it('says how to install Claude Code when the executable is missing', async () => {
    const err = await failure(ask(model({ command: join(t.dir, 'no-such-claude') }), 'hello'));
    assert.equal(err.code, 'CLAUDE_CODE_NOT_FOUND');
    assert.match(err.message, /npm install -g @anthropic-ai\/claude-code.*model\.command of claude/);
  });

  it('stops the run when the agent stops (the signal aborts)', async () => {
    const stop = new AbortController();
    const run = ask(model({ timeoutMs: 60_000 }), 'hang again', { signal: stop.signal });
    const pidsFile = join(fake.state, 'hang.pids');
    const before = existsSync(pidsFile) ? readFileSync(pidsFile, 'utf8') : '';
    await waitFor(() => existsSync(pidsFile) && readFileSync(pidsFile, 'utf8') !== before, 'the run to start');
    stop.abort(new Error('agent stopping'));
    await assert.rejects(run, /agent stopping/);
    const pids = JSON.parse(readFileSync(pidsFile, 'utf8')) as { claude: number; grandchild: number };
    await gone(pids.claude, 'the claude process to be killed');
    await gone(pids.grandchild, 'what it started to be killed too');
  });
});
