/**
 * The orchestrator agent as a process with `model: claude-code` (the real CLI, pinned; a fake
 * Messages API whose model echoes the request) and Claude Code sessions claiming requests: a
 * request a session claimed is left to it, and taken back when the claim lapses unanswered;
 * one it answered is not answered again. Answering, resuming and failures with the real CLI:
 * claude-real.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { openBridge } from '../../src/bridge/index.ts';
import { claimRequest } from '../../src/orchestrator/index.ts';
import { openStore } from '../../src/store/index.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';
import { requestContent, startFakeClaudeApi, type FakeClaudeApi } from '../fakes/fake-claude-api.ts';
import { ensureRealClaude, realClaudeEnv } from '../helpers/real-claude.ts';

interface Msg {
  id: string;
  from: string;
  replyTo?: string;
  content: string;
  status: string;
  metadata?: Record<string, unknown>;
}

describe('the orchestrator answering headless with Claude Code', () => {
  const t = tempDir();
  const config = join(t.dir, 'agentnet.yaml');
  let api: FakeClaudeApi;
  let agent: ChildProcess;
  let port: number;
  const cli = async (...args: string[]) => {
    const r = await agentnet([...args, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const send = async (text: string, sender = '972500000000@c.us') =>
    (JSON.parse(await cli('bridge', 'send', '--to', 'claude', '--from', 'kami', '--sender', sender, '--json', text)) as { id: string }).id;
  const responses = async (id: string): Promise<Msg[]> =>
    (await cli('bridge', 'ls', '--type', 'response', '--json'))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Msg)
      .filter((m) => m.replyTo === id);
  const answer = async (id: string): Promise<Msg> => {
    await waitFor(async () => (await responses(id)).length > 0, `an answer to ${id}`, 60_000);
    return (await responses(id))[0]!;
  };
  const log = () => readFileSync(join(t.dir, '.agentnet', 'logs', 'claude.log'), 'utf8');

  before(async () => {
    const bin = await ensureRealClaude();
    api = await startFakeClaudeApi((body) => ({ text: `echo: ${requestContent(body)}` }));
    port = await freePort();
    mkdirSync(join(t.dir, 'work'));
    writeFileSync(
      config,
      `network: hl
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    health: { port: ${port} }
    model: { provider: claude-code, command: ${bin}, maxTurns: 6, timeoutMs: 120000, cwd: work }
    tools: [memory_get, memory_set]
  kami: { role: relay, health: { port: ${await freePort()} } }
  kaylee: { role: autonomous, health: { port: ${await freePort()} } }
`,
    );
    agent = spawnNode([BIN, 'run', 'claude', '-c', config, '--quiet'], { cwd: t.dir, env: realClaudeEnv(api.url, join(t.dir, 'home')) });
    await waitHealthy(port, 'claude', agent);
  });
  after(async () => {
    if (agent) await stopProcess(agent);
    await api?.close();
    t.cleanup();
  });

  it('leaves a request a session claimed, and answers it once the claim lapses unanswered', async () => {
    await cli('pause');
    const id = await send('claimed then forgotten');
    const store = await openStore({ backend: 'sqlite', path: join(t.dir, '.agentnet', 'store.db') });
    try {
      // Long enough to outlast the resume below on a busy machine, or the agent never sees the claim.
      const claim = await claimRequest(store.memory, id, 'mcp:laptop:1234', 5000);
      assert.ok(claim.ok);
    } finally {
      await store.close();
    }
    await cli('resume');
    await waitFor(() => log().includes(`"id":"${id}","claimedBy":"mcp:laptop:1234"`), 'the agent to leave it to the session');
    assert.deepEqual(await responses(id), [], 'not while the claim holds');
    const res = await answer(id);
    assert.match(res.content, /^echo: claimed then forgotten/);
    assert.equal((await responses(id)).length, 1);
  });

  it('does not answer again what the session answered before its claim lapsed', async () => {
    await cli('pause');
    const id = await send('claimed and answered');
    const store = await openStore({ backend: 'sqlite', path: join(t.dir, '.agentnet', 'store.db') });
    const lapse = Date.now() + 5000;
    try {
      assert.ok((await claimRequest(store.memory, id, 'mcp:laptop:1234', 5000)).ok);
    } finally {
      await store.close();
    }
    await cli('resume');
    await waitFor(() => log().includes(`"id":"${id}","claimedBy"`), 'the agent to leave it to the session');
    // The session answers (what bridge_reply does), then its claim lapses.
    const bridge = await openBridge({ backend: 'jsonl', path: join(t.dir, '.agentnet', 'bridge', 'messages.jsonl') });
    try {
      const req = (await bridge.get(id))!;
      await bridge.append({ from: 'claude', to: 'kami', type: 'response', replyTo: id, content: 'answered in the session' });
      await bridge.markDone(req);
    } finally {
      await bridge.close();
    }
    // Past the lapse and the agent's second look (1 s after it).
    const later = await send('a later request');
    await answer(later);
    await new Promise((r) => setTimeout(r, Math.max(0, lapse + 2500 - Date.now())));
    const answers = await responses(id);
    assert.deepEqual(answers.map((m) => m.content), ['answered in the session']);
  });
});
