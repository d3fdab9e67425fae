/**
 * The orchestrator agent as a process with `model: claude-code`: requests on the bridge are
 * answered by a (fake) headless Claude Code that uses the network through the real
 * `agentnet mcp`; failures reach the asker; a request a session claimed is left to it, and
 * taken back when the claim lapses unanswered.
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
import { fakeClaude } from '../fakes/claude-bin.ts';

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
  const fake = fakeClaude(t.dir);
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
    await waitFor(async () => (await responses(id)).length > 0, `an answer to ${id}`, 30_000);
    return (await responses(id))[0]!;
  };
  const log = () => readFileSync(join(t.dir, '.agentnet', 'logs', 'claude.log'), 'utf8');

  before(async () => {
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
    model: { provider: claude-code, command: ${fake.command}, maxTurns: 6, timeoutMs: 30000, cwd: work }
    tools: [memory_get, memory_set]
  kami: { role: relay, health: { port: ${await freePort()} } }
  kaylee: { role: autonomous, health: { port: ${await freePort()} } }
`,
    );
    agent = spawnNode([BIN, 'run', 'claude', '-c', config, '--quiet'], { cwd: t.dir, env: { FAKE_CLAUDE_LOG: fake.log, FAKE_CLAUDE_STATE: fake.state } });
    await waitHealthy(port, 'claude');
  });
  after(async () => {
    await stopProcess(agent);
    t.cleanup();
  });

  it('answers a relayed request, and continues the same chat in the same Claude Code session', async () => {
    const first = await answer(await send('hello there'));
    assert.equal(first.from, 'claude');
    assert.equal(first.metadata?.whatsapp_sender, '972500000000@c.us', 'the relay knows which chat to deliver to');
    const session = /^echo: hello there \(turn 1 of session ([0-9a-f-]{36})\)$/.exec(first.content)?.[1];
    assert.ok(session, first.content);
    const second = await answer(await send('and again'));
    assert.equal(second.content, `echo: and again (turn 2 of session ${session})`);
    const elsewhere = await answer(await send('a different chat', '972511111111@c.us'));
    assert.match(elsewhere.content, /turn 1 of session/);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { usage: { model: string; costTodayUsd: number } };
    assert.equal(health.usage.model, 'claude-code');
    assert.ok(Math.abs(health.usage.costTodayUsd - 3 * 0.0125) < 1e-9, `three runs at the cost Claude Code reported, not ${health.usage.costTodayUsd}`);
  });

  it('gives Claude Code the network through agentnet mcp: the granted tools work, the reply tools are hidden', async () => {
    const res = await answer(await send('check the network'));
    assert.match(res.content, /^network seen: network hl: running, \d+ pending bridge messages; memory: stored; reply tool: hidden$/);
    assert.match(await cli('memory', 'get', 'notes', 'headless'), /was here/);
  });

  it('tells the asker when Claude Code fails, instead of going quiet', async () => {
    const crashed = await answer(await send('please crash'));
    assert.equal(crashed.metadata?.failed, true);
    assert.match(crashed.content, /^claude: could not handle this \(1 attempt\): Claude Code exited with code 3: fatal: the fake claude crashed on purpose$/);
    const denied = await answer(await send('you will be denied'));
    assert.match(denied.content, /Claude Code was refused Bash/);
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
