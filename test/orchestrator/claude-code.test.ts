/**
 * model: claude-code against a fake `claude` executable that speaks the CLI's stream-json
 * output, for what we pass it and for the faults the real CLI cannot be made to produce (a
 * hang, a crash, a missing executable, the agent stopping mid-run). Everything the real CLI
 * does is tested against it: claude-code-real.test.ts and test/e2e/claude-real.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { runToolLoop } from '../../src/agent/tools/tool-loop.ts';
import { createClaudeCodeModel } from '../../src/orchestrator/claude-code.ts';
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
  const calls = () => readFileSync(fake.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; prompt: string; cwd: string; mcp?: { mcpServers: Record<string, { args: string[] }> } });
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
    assert.equal(after('--setting-sources'), 'user', "not the project's settings (its hook)");
    assert.equal(after('--tools'), 'Read', 'the built-in tools model.allowedTools names');
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
    for (const hidden of ['bridge_inbox', 'bridge_claim', 'bridge_reply', 'bridge_send', 'memory_get', 'request_approval', 'approval_status']) assert.ok(disallowed.includes(`mcp__agentnet__${hidden}`), hidden);
    assert.ok(!argv.includes('--resume'), 'no conversation: no session to resume');
  });

  it('a run that serves a request tells its MCP server which (--serving: approvals are keyed by it), in a config of its own removed after the run', async () => {
    const res = await runToolLoop({ model: model(), system: 'You are claude.', messages: [{ role: 'user', content: 'remember it' }], tools: [], context: { serving: { id: 'kami-9', reason: 'request kami-9' } } });
    assert.match(res.text, /^echo: remember it/);
    const { argv, mcp } = lastCall();
    const file = argv[argv.indexOf('--mcp-config') + 1]!;
    assert.deepEqual(mcp!.mcpServers.agentnet!.args.slice(1), ['mcp', '--config', config.file, '--as', 'claude', '--headless', '--serving', 'kami-9']);
    assert.notEqual(file, join(config.stateDir, 'agents', 'claude', 'claude-mcp.json'), 'not the shared config');
    assert.equal(existsSync(file), false, 'removed after the run');
    await ask(model(), 'no request');
    assert.ok(!lastCall().mcp!.mcpServers.agentnet!.args.includes('--serving'), 'serving nothing: the shared config, without --serving');
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
