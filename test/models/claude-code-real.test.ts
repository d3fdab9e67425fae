/**
 * model: claude-code against the real Claude Code CLI (pinned, installed on demand) and a fake
 * Messages API: what a headless run is given is read from what the CLI itself reports (its
 * init event's tools) and what it sends to the API (tools, system prompt, messages), not from
 * our argv. The project is `agentnet claude install`ed, as the owner's would be.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { isAgentnetError } from '../../src/errors.ts';
import type { Logger } from '../../src/log/logger.ts';
import { createClaudeCodeModel } from '../../src/models/claude-code.ts';
import { retryable } from '../../src/models/retry.ts';
import { messagesText, plan, startFakeClaudeApi, systemText, toolNames, type FakeClaudeApi } from '../fakes/fake-claude-api.ts';
import { ensureRealClaude, realClaudeEnv } from '../helpers/real-claude.ts';
import { agentnet, freePort, tempDir } from '../helpers/util.ts';

/** The granted MCP tools of an agent with tools: [memory_get] (plus the read-only ones every run gets). */
const GRANTED = ['mcp__agentnet__memory_get', 'mcp__agentnet__memory_list', 'mcp__agentnet__network_status', 'mcp__agentnet__task_status'];
const builtIns = (names: string[]) => names.filter((n) => !n.startsWith('mcp__') && n !== 'DeferredToolPlaceholder');

describe('model: claude-code with the real Claude Code CLI', () => {
  const t = tempDir();
  let api: FakeClaudeApi;
  let config: Config;
  let bin: string;
  const runs: Array<Record<string, unknown>> = [];
  const logger: Logger = { debug() {}, info: (f, msg) => void (msg === 'claude-code run' && runs.push(f)), warn() {}, error() {} };
  const model = (over: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) =>
    createClaudeCodeModel({ ...config.agents.claude!.model, command: bin, ...over }, { agent: 'claude', network: config, logger, env: { ...realClaudeEnv(api.url, join(t.dir, 'home')), ...env } });
  const ask = (over: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) =>
    model(over, env).complete({ system: 'You are claude, the orchestrator.', messages: [{ role: 'user', content: 'A request from "kami".\n<message from="kami" id="m1">\nhow is the network?\n</message>' }] });

  before(async () => {
    bin = await ensureRealClaude();
    api = await startFakeClaudeApi();
    const file = join(t.dir, 'agentnet.yaml');
    writeFileSync(
      file,
      `network: real
agents:
  claude:
    role: orchestrator
    health: { port: ${await freePort()} }
    model: { provider: claude-code, maxTurns: 4, timeoutMs: 120000 }
    tools: [memory_get]
  kami: { role: relay, health: { port: ${await freePort()} } }
`,
    );
    mkdirSync(join(t.dir, 'home'));
    config = loadConfig(file, { env: {} }).config;
    // The owner's project, set up for interactive sessions, with a request waiting: its hook
    // would tell a session to claim and reply.
    for (const args of [['claude', 'install'], ['bridge', 'send', '--to', 'claude', '--from', 'kami', 'a pending request']]) {
      const r = await agentnet(args, { cwd: t.dir });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await api?.close();
    t.cleanup();
  });

  it("loads neither the project's hooks nor its settings, and offers none of Claude Code's own tools by default", async () => {
    api.setScript(plan({ tool: 'mcp__agentnet__network_status' }, { text: 'the network is fine' }));
    const from = api.requests.length;
    const res = await ask();
    assert.equal(res.text, 'the network is fine');
    const run = runs.at(-1)!;
    assert.deepEqual(builtIns(run.offered as string[]), [], 'the init event lists no built-in tool');
    assert.deepEqual((run.offered as string[]).toSorted(), GRANTED, 'only the granted network tools');
    assert.deepEqual(run.tools, ['mcp__agentnet__network_status']);
    const seen = api.requests.slice(from);
    assert.ok(seen.length >= 2);
    for (const r of seen) {
      assert.deepEqual(builtIns(toolNames(r.body)), [], 'the API is offered no built-in tool');
      const words = systemText(r.body) + messagesText(r.body);
      assert.doesNotMatch(words, /SessionStart|pending request/, 'no hook text reaches the model');
      assert.doesNotMatch(words, /bridge_claim|bridge_reply/, 'nothing tells the run to claim or reply (it cannot)');
      assert.match(systemText(r.body), /headless/, 'our system prompt does');
    }
  });

  it('offers exactly the built-in tools model.allowedTools grants', async () => {
    api.setScript(plan({ text: 'ok' }));
    const from = api.requests.length;
    await ask({ allowedTools: ['Bash(echo *)', 'Read'] });
    assert.deepEqual(builtIns(runs.at(-1)!.offered as string[]).toSorted(), ['Bash', 'Read']);
    assert.deepEqual(builtIns(toolNames(api.requests[from]!.body)).toSorted(), ['Bash', 'Read']);
  });

  it('counts a failed run that only searched for tools (ToolSearch) as having changed nothing, so it is retried', async () => {
    // With ToolSearch granted, Claude Code defers the MCP tools behind it.
    let failed = false;
    api.setScript((body) => {
      const s = plan({ tool: 'mcp__agentnet__network_status' }, { text: 'fine after all' })(body);
      if ('toolUses' in s && s.toolUses?.[0]?.name === 'mcp__agentnet__network_status' && !failed) {
        failed = true;
        return { error: 529, type: 'overloaded_error', message: 'Overloaded' };
      }
      return s;
    });
    const env = { CLAUDE_CODE_MAX_RETRIES: '0' };
    const err = await ask({ allowedTools: ['ToolSearch'] }, env).then(() => assert.fail('expected the run to fail'), (e: unknown) => e);
    assert.ok(isAgentnetError(err), String(err));
    assert.deepEqual(runs.at(-1)!.tools, ['ToolSearch'], 'the run only searched');
    assert.equal((err as { sideEffects?: boolean }).sideEffects, undefined, 'nothing was changed');
    assert.ok(retryable(err).retry, `an overload is worth retrying: ${err.message}`);
    const again = await ask({ allowedTools: ['ToolSearch'] }, env);
    assert.equal(again.text, 'fine after all');
  });
});
