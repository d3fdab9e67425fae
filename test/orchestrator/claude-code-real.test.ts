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
import { createClaudeCodeModel } from '../../src/orchestrator/claude-code.ts';
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
  const ask = (over: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, content = 'how is the network?', conversation?: string, m = model(over, env)) =>
    m.complete({ system: 'You are claude, the orchestrator.', messages: [{ role: 'user', content: `A request from "kami".\n<message from="kami" id="m1">\n${content}\n</message>` }], ...(conversation ? { conversation } : {}) });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => assert.fail('expected the run to fail'),
      (e: unknown) => {
        assert.ok(isAgentnetError(e), String(e));
        return e as Error & { code: string; usage?: { costUsd?: number } };
      },
    );

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
    const err = await failure(ask({ allowedTools: ['ToolSearch'] }, env));
    assert.equal(err.code, 'CLAUDE_CODE_FAILED');
    assert.deepEqual(runs.at(-1)!.tools, ['ToolSearch'], 'the run only searched');
    assert.equal((err as { sideEffects?: boolean }).sideEffects, undefined, 'nothing was changed');
    assert.ok(retryable(err).retry, `an overload is worth retrying: ${err.message}`);
    const again = await ask({ allowedTools: ['ToolSearch'] }, env);
    assert.equal(again.text, 'fine after all');
  });

  it('continues one Claude Code session per conversation, across a restart of the agent', async () => {
    // The model answers with what it remembers of the conversation.
    api.setScript((body) => ({ text: messagesText(body).includes('new here') ? 'I remember the first words' : 'new here' }));
    const chat = 'whatsapp:972500000000@c.us';
    assert.equal((await ask({}, {}, 'first words', chat)).text, 'new here');
    // A new model object is what a restarted agent has: the sessions file carries the session.
    assert.equal((await ask({}, {}, 'more words', chat)).text, 'I remember the first words');
    assert.equal(runs.at(-1)!.resumed, true);
    assert.equal((await ask({}, {}, 'someone else', 'whatsapp:972599999999@c.us')).text, 'new here');
  });

  it('treats "success" without an answer as a failure', async () => {
    api.setScript(() => ({ text: '' }));
    assert.equal((await failure(ask())).code, 'CLAUDE_CODE_NO_ANSWER');
  });

  it("runs within what is left of the agent's daily cost budget, on the cost Claude Code reports", async () => {
    const { Budget, withBudget } = await import('../../src/models/budget.ts');
    api.setScript(() => ({ text: 'within budget', usage: { input_tokens: 1000, output_tokens: 100 } }));
    const probe = await ask();
    const perRun = probe.usage.costUsd!;
    assert.ok(perRun > 0, 'Claude Code reports what a run cost');
    // Room for one run and a bit: the second is stopped by Claude Code at what is left.
    const budget = new Budget(join(t.dir, 'usage.json'), { costPerDayUsd: perRun * 1.5 }, undefined);
    const m = withBudget(createClaudeCodeModel({ ...config.agents.claude!.model, command: bin }, { agent: 'claude', network: config, logger, env: realClaudeEnv(api.url, join(t.dir, 'home')), costLeftUsd: () => budget.costLeftUsd() }), budget, () => {});
    assert.equal((await ask({}, {}, 'one', undefined, m)).text, 'within budget');
    const second = await failure(ask({}, {}, 'two', undefined, m));
    assert.equal(second.code, 'BUDGET_EXHAUSTED', second.message);
    assert.match(second.message, /^Claude Code stopped at what is left of today's budget/);
    const requests = api.requests.length;
    assert.equal((await failure(ask({}, {}, 'three', undefined, m))).code, 'BUDGET_EXHAUSTED');
    assert.equal(api.requests.length, requests, 'Claude Code was not started once the budget was spent');
  });
});
