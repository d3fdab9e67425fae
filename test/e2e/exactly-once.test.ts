/**
 * Exactly one response per request, whatever the order of Claude Code sessions (the real
 * `agentnet mcp` driven by the official MCP client), the orchestrator agent (a real process),
 * restarts and SIGKILLs. Counted on the bridge, not read from the code.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openBridge, type Bridge, type BridgeMessage } from '../../src/bridge/index.ts';
import { startFakeAnthropic } from '../fakes/fake-anthropic.ts';
import type { ScriptedServer } from '../fakes/scripted-server.ts';
import type { AnthropicReply } from '../fakes/fake-anthropic.ts';
import { answerPending, startFakeClaudeApi, toolCalls } from '../fakes/fake-claude-api.ts';
import { ensureRealClaude, runRealClaude } from '../helpers/real-claude.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

type ToolResult = { content: Array<{ type: string; text: string }>; isError?: boolean };

describe('exactly one response per request', () => {
  let t: ReturnType<typeof tempDir>;
  let config: string;
  let port: number;
  let bridge: Bridge;
  let fake: ScriptedServer<AnthropicReply>;
  const open: Array<{ close(): Promise<void> }> = [];
  const agents: ChildProcess[] = [];

  beforeEach(async () => {
    t = tempDir('agentnet-once-');
    config = join(t.dir, 'agentnet.yaml');
    port = await freePort();
    fake = await startFakeAnthropic();
    writeFileSync(
      config,
      `network: once
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: test-key, baseUrl: "${fake.url}", maxRetries: 0 }
    health: { port: ${port} }
  kami: { role: relay, health: { port: ${await freePort()} } }
`,
    );
    bridge = await openBridge({ backend: 'jsonl', path: join(t.dir, '.agentnet', 'bridge', 'messages.jsonl') });
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await stopProcess(a, 'SIGKILL');
    for (const x of open.splice(0)) await x.close();
    await bridge.close();
    await fake.close();
    t.cleanup();
  });

  /** The model answers every call at once with "agent: <n>". */
  const modelAnswers = (n: number) => fake.script(...Array.from({ length: n }, (_, i) => ({ reply: { text: `agent answer ${i}` } })));
  const startAgent = async () => {
    const child = spawnNode([BIN, 'run', 'claude', '-c', config, '--quiet'], { cwd: t.dir });
    agents.push(child);
    await waitHealthy(port, 'claude', child);
    return child;
  };
  const session = async (name: string) => {
    const client = new Client({ name, version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '-c', config], stderr: 'pipe' }));
    open.push(client);
    return {
      call: async (tool: string, args: Record<string, unknown>) => (await client.callTool({ name: tool, arguments: args })) as ToolResult,
    };
  };
  const request = (content: string) => bridge.append({ from: 'kami', to: 'claude', type: 'request', content, metadata: { whatsapp_sender: '972500000000@c.us' } });
  const responsesTo = async (id: string): Promise<BridgeMessage[]> => (await bridge.list({ type: 'response' })).filter((m) => m.replyTo === id);
  /** Waits until the agent has handled everything before a fence request (it takes messages in order). */
  const fence = async () => {
    const f = await request('fence');
    await waitFor(async () => (await responsesTo(f.id)).length === 1, 'the agent to answer the fence request', 30_000);
  };
  const assertOneEach = async (ids: string[]) => {
    for (const id of ids) {
      const answers = await responsesTo(id);
      assert.equal(answers.length, 1, `${id}: ${answers.length} responses (${answers.map((a) => a.from + ': ' + a.content).join(' | ')})`);
      assert.equal((await bridge.get(id))?.status, 'done', id);
    }
  };

  it('a session answers, then the agent starts: the agent does not answer again', async () => {
    const req = await request('answered by the session');
    const s = await session('laptop');
    const r = await s.call('bridge_reply', { id: req.id, content: 'from the session' });
    assert.ok(!r.isError, r.content[0]?.text);
    modelAnswers(5);
    await startAgent(); // within a second or two of the request: no time window may decide
    await fence();
    assert.deepEqual((await responsesTo(req.id)).map((m) => m.content), ['from the session']);
  });

  it('the agent answers: a session replying after it is told so, and sends nothing', async () => {
    modelAnswers(5);
    await startAgent();
    const req = await request('answered by the agent');
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the agent to answer');
    const s = await session('laptop');
    const r = await s.call('bridge_reply', { id: req.id, content: 'late, from the session' });
    assert.equal(r.isError, true);
    assert.match(r.content[0]!.text, /already (done|answered)/);
    await assertOneEach([req.id]);
  });

  it('the agent and a session race over the same backlog: each request is answered once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await request(`backlog ${i}`)).id);
    modelAnswers(40);
    const s = await session('laptop');
    const agent = startAgent();
    // The session answers the backlog oldest first while the agent works through it too.
    let sessionAnswered = 0;
    for (const id of ids) {
      const r = await s.call('bridge_reply', { id, content: `session answer ${id}` });
      if (!r.isError) sessionAnswered++;
      else assert.match(r.content[0]!.text, /already (done|answered)|claimed by agent:claude/);
    }
    await agent;
    await fence();
    await assertOneEach(ids);
    assert.ok(sessionAnswered > 0, 'the session answered some');
  });

  it('two sessions reply to the same requests at once: one wins each, the other is told', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await request(`twice ${i}`)).id);
    const [a, b] = await Promise.all([session('a'), session('b')]);
    const results = await Promise.all(ids.flatMap((id) => [a.call('bridge_reply', { id, content: `a ${id}` }), b.call('bridge_reply', { id, content: `b ${id}` })]));
    assert.equal(results.filter((r) => !r.isError).length, ids.length, 'one success per request');
    for (const r of results.filter((x) => x.isError)) assert.match(r.content[0]!.text, /already (done|answered)|claimed by mcp:/);
    await assertOneEach(ids);
  });

  it('the agent is killed between claiming a request and answering it: after the restart it is answered once', async () => {
    fake.script({ delayMs: 60_000, then: { reply: { text: 'never delivered' } } });
    const agent = await startAgent();
    const req = await request('slow');
    await waitFor(() => fake.requests.length === 1, 'the model call to be in flight');
    await stopProcess(agent, 'SIGKILL');
    modelAnswers(5);
    await startAgent();
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the answer after the restart', 30_000);
    await fence();
    await assertOneEach([req.id]);
    assert.equal((await responsesTo(req.id))[0]!.content, 'agent answer 0');
  });

  it('SIGKILLed again and again in a burst: every request is answered exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await request(`burst ${i}`)).id);
    modelAnswers(200);
    let kills = 0;
    for (; kills < 4; kills++) {
      const agent = await startAgent();
      const before = (await bridge.list({ type: 'response' })).length;
      await waitFor(async () => (await bridge.list({ type: 'response' })).length > before + 3, 'some answers before the kill', 30_000);
      await stopProcess(agent, 'SIGKILL');
    }
    await startAgent();
    await fence();
    await assertOneEach(ids);
    assert.equal(kills, 4);
  });

  it('poison lines from a lockless writer (2 MiB, nested 100,000 deep) are quarantined once: no crash, no wall, the sender is told', async () => {
    modelAnswers(10);
    const agent = await startAgent();
    const ts = new Date().toISOString();
    const chat = { whatsapp_sender: '972500000000@c.us' };
    const big = JSON.stringify({ ts, from: 'kami', to: 'claude', type: 'request', id: 'kami-big', content: 'x'.repeat(2 * 1024 * 1024), status: 'pending', metadata: chat });
    const deep = `{"ts":"${ts}","from":"kami","to":"claude","type":"request","id":"kami-deep","content":"deep","status":"pending","metadata":{"whatsapp_sender":"972500000000@c.us","n":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`;
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(t.dir, '.agentnet', 'bridge', 'messages.jsonl'), big + '\n' + deep + '\n');
    const after = await request('after the poison');
    await waitFor(async () => (await responsesTo(after.id)).length === 1, 'the request behind the poison to be answered', 30_000);
    await fence();
    await assertOneEach(['kami-big', 'kami-deep']);
    for (const id of ['kami-big', 'kami-deep']) {
      const [notice] = await responsesTo(id);
      assert.equal(notice!.metadata?.failed, true, id);
      assert.equal(notice!.metadata?.whatsapp_sender, '972500000000@c.us', `${id}: the notice goes back to the chat`);
      assert.match(notice!.content, /was not handled: (it is \d+ bytes|its metadata is nested)/, id);
    }
    assert.equal(agent.exitCode, null, 'the agent never crashed');
    assert.equal(fake.requests.filter((r) => JSON.stringify(r.body).includes('xxxxxxxxxx')).length, 0, 'the poison never reached the model');
    const { readFileSync } = await import('node:fs');
    const quarantined = readFileSync(join(t.dir, '.agentnet', 'logs', 'claude.log'), 'utf8').split('\n').filter((l) => l.includes('quarantined a bridge message'));
    assert.equal(quarantined.length, 2, 'logged once each');
  });

  it('answers /health while it drains a backlog, so the monitor never takes a busy agent for a dead one', async () => {
    const n = 1000;
    // The offline model: no I/O per message, the case that used to starve the event loop.
    const { mkdirSync, readFileSync } = await import('node:fs');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^    model: .*\n/m, ''));
    mkdirSync(join(t.dir, '.agentnet'), { recursive: true });
    writeFileSync(join(t.dir, '.agentnet', 'PAUSE'), 'test\n');
    for (let i = 0; i < n; i++) await request(`backlog ${i}`);
    await startAgent();
    const { rmSync } = await import('node:fs');
    rmSync(join(t.dir, '.agentnet', 'PAUSE'));
    const answered = async () => (await bridge.list({ type: 'response' })).length;
    await waitFor(async () => (await answered()) > 0, 'the drain to start');
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string };
    const answeredThen = await answered();
    assert.equal(health.status, 'ok');
    assert.ok(answeredThen < n / 2, `/health answered only after ${answeredThen} of ${n} requests`);
    await fence();
  });

  /** A real Claude Code session (`claude -p` of the pinned CLI) in the installed project, answering the inbox. */
  const realSession = async (content: string) => {
    await ensureRealClaude();
    const api = await startFakeClaudeApi(answerPending(content));
    open.push(api);
    const r = await agentnet(['claude', 'install', '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    return { api, run: () => runRealClaude(['-p', 'answer the pending requests'], { cwd: t.dir, baseUrl: api.url, home: join(t.dir, 'home') }) };
  };

  it('the real Claude Code answers through bridge_reply, then the agent starts at once: one answer (the reported duplicate)', async () => {
    const req = await request('answered by Claude Code');
    const session = await realSession('from Claude Code');
    const r = await session.run();
    assert.equal(r.code, 0, r.stderr);
    modelAnswers(5);
    await startAgent();
    await fence();
    assert.deepEqual((await responsesTo(req.id)).map((m) => m.content), ['from Claude Code']);
  });

  it('the agent holds the claim while its model works: the real Claude Code is told and sends nothing', async () => {
    // Long enough for the session to start, search its tools and try while the agent still works.
    fake.script({ delayMs: 20_000, then: { reply: { text: 'from the agent' } } });
    await startAgent();
    const req = await request('the agent has it');
    await waitFor(() => fake.requests.length === 1, 'the agent to be working on it');
    const session = await realSession('from Claude Code');
    const r = await session.run();
    assert.equal(r.code, 0, r.stderr);
    const calls = toolCalls(session.api.requests.at(-1)!.body);
    const reply = calls.find((c) => c.name === 'mcp__agentnet__bridge_reply');
    assert.ok(reply?.isError, `the session's reply was refused: ${JSON.stringify(calls)}`);
    assert.match(reply!.result ?? '', /claimed by agent:claude/, JSON.stringify(calls));
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the agent to answer', 60_000);
    await fence();
    assert.deepEqual((await responsesTo(req.id)).map((m) => m.content), ['from the agent']);
  });

  it('a response left without its done record (a crash in an older version, a seed writer) completes the request, not a second answer', async () => {
    const req = await request('half done');
    await bridge.append({ from: 'claude', to: 'kami', type: 'response', replyTo: req.id, content: 'written before the crash' });
    modelAnswers(5);
    await startAgent();
    await fence();
    await waitFor(async () => (await bridge.get(req.id))?.status === 'done', 'the request completed');
    assert.deepEqual((await responsesTo(req.id)).map((m) => m.content), ['written before the crash']);
  });
});
