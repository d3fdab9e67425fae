/** The autonomous agent's worker in-process: a failing task backs off instead of storming, stop releases a running task, rotate-bridge reports. */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startAgent, type RunningAgent } from '../../src/cli/roles.ts';
import { createJsonlBridge, type Bridge } from '../../src/bridge/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createSqliteStore, type Store } from '../../src/store/index.ts';
import { slotKey } from '../../src/tasks/slots.ts';
import { anthropicError, startFakeAnthropic } from '../fakes/fake-anthropic.ts';
import type { ScriptedServer } from '../fakes/scripted-server.ts';
import { freePort, tempDir, waitFor } from '../helpers/util.ts';

describe('autonomous worker', () => {
  let dir: string;
  let cleanup: () => void;
  let fake: ScriptedServer<unknown>;
  let config: Config;
  let store: Store;
  let bridge: Bridge;
  let agent: RunningAgent | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-worker-'));
    fake = (await startFakeAnthropic()) as ScriptedServer<unknown>;
    for (const [file, body] of [['slow.sh', 'echo started\nsleep 30'], ['ok.sh', 'echo ok'], ['bad.sh', 'exit 3']]) {
      writeFileSync(join(dir, file!), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, file!), 0o755);
    }
    writeFileSync(
      join(dir, 'agentnet.yaml'),
      `network: test
bridge: { pollIntervalMs: 100, rotate: { olderThanDays: 7 } }
agents:
  claude: { role: orchestrator, health: { port: ${await freePort()} } }
  kami: { role: relay, health: { port: ${await freePort()} } }
  kaylee:
    role: autonomous
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: test-key, baseUrl: "${fake.url}", maxRetries: 0 }
    health: { port: ${await freePort()} }
    worker: { concurrency: 4, pollMs: 50 }
    deployments:
      slow: { command: [./slow.sh], cwd: . }
      ok: { command: [./ok.sh], cwd: ., notify: [] }
      bad: { command: [./bad.sh], cwd: ., notify: [] }
`,
    );
    config = loadConfig(join(dir, 'agentnet.yaml'), { env: {} }).config;
    store = createSqliteStore({ path: config.store.path });
    bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await store.close();
    await bridge.close();
    await fake.close();
    cleanup();
  });

  it('a failing task retries after a back-off, then is reported once: no retry storm', async () => {
    const tasks = 6;
    // Every model call fails with a server error (retryable): each task gets its 2 attempts.
    fake.script(...Array.from({ length: tasks * 3 }, () => anthropicError(500, 'api_error')));
    const ids = await Promise.all(Array.from({ length: tasks }, (_, i) => store.queue.enqueue({ kind: 'prompt', payload: { prompt: `check disk ${i}` }, maxAttempts: 2 }).then((t) => t.id)));
    agent = await startAgent({ config, agent: 'kaylee', stdout: false });
    await waitFor(async () => (await store.queue.stats()).dead === tasks, 'every task dead after its attempts');
    await waitFor(async () => (await bridge.list({ type: 'notification' })).length === tasks, 'the failure reports');
    assert.equal(fake.requests.length, tasks * 2, 'exactly two model calls per task');
    for (const id of ids) {
      const calls = fake.requests.filter((r) => JSON.stringify(r.body).includes(id)).map((r) => r.at);
      assert.equal(calls.length, 2, id);
      assert.ok(calls[1]! - calls[0]! >= 500, `second attempt of ${id} waited its back-off (1 s ± 50 %): ${calls[1]! - calls[0]!} ms`);
    }
    const reports = await bridge.list({ type: 'notification' });
    assert.ok(reports.every((m) => m.to === 'kami' && /^❌ prompt failed after 2 of 2 attempt\(s\)/.test(m.content)), reports.map((m) => m.content).join('\n'));
    assert.deepEqual(new Set(reports.map((m) => m.metadata?.task)), new Set(ids), 'one report per task');
  });

  it('stopping the agent releases a running task to the queue, its attempt not used up', async () => {
    const t = await store.queue.enqueue({ kind: 'deploy', payload: { deployment: 'slow' }, maxAttempts: 1 });
    agent = await startAgent({ config, agent: 'kaylee', stdout: false, graceMs: 200 });
    await waitFor(async () => (await store.queue.get(t.id))?.state === 'running', 'the deployment running');
    await agent.stop();
    agent = undefined;
    const after = (await store.queue.get(t.id))!;
    assert.equal(after.state, 'queued', 'released, not dead and not left leased');
    assert.equal(after.attempts, 0);
    assert.deepEqual(await bridge.list({ type: 'notification' }), [], 'no failure reported for a task that was only interrupted');
  });

  it("a scheduled task's run record follows it: started at its claim, then its outcome; a hand-made task has none", async () => {
    const due = (m: number) => new Date(Date.parse('2026-11-24T12:00:00Z') + m * 60_000);
    const slots = [['ok', due(0)], ['bad', due(5)]] as const;
    for (const [deployment, slot] of slots) {
      const t = await store.queue.enqueue({ kind: 'deploy', payload: { deployment, schedule: 'deploy', slot: slot.toISOString() }, maxAttempts: 1, idempotencyKey: slotKey('kaylee', 'deploy', slot) });
      await store.scheduleRuns.record({ agent: 'kaylee', schedule: 'deploy', due: slot.toISOString(), task: t.id });
    }
    const byHand = await store.queue.enqueue({ kind: 'deploy', payload: { deployment: 'ok' }, maxAttempts: 1 });
    agent = await startAgent({ config, agent: 'kaylee', stdout: false });
    await waitFor(async () => (await store.scheduleRuns.list()).every((r) => r.finishedAt) && (await store.queue.get(byHand.id))?.state === 'done', 'both runs finished');
    const [bad, ok] = await store.scheduleRuns.list();
    assert.deepEqual([ok!.outcome, bad!.outcome], ['success', 'failure']);
    for (const r of [ok!, bad!]) assert.ok(Date.parse(r.startedAt!) <= Date.parse(r.finishedAt!) && Date.parse(r.startedAt!) >= Date.parse(r.recordedAt), JSON.stringify(r));
    assert.equal((await store.scheduleRuns.list()).length, 2, 'the hand-made task made no record');
  });

  it('rotate-bridge archives old done messages and says so', async () => {
    // Done ten days ago: older than the configured 7 days. A fresh one stays.
    await bridge.append({ from: 'kami', to: 'claude', type: 'request', status: 'done', content: 'old', ts: new Date(Date.now() - 10 * 86400_000).toISOString() });
    await bridge.append({ from: 'kami', to: 'claude', type: 'request', status: 'done', content: 'new' });
    const t = await store.queue.enqueue({ kind: 'rotate-bridge', payload: { notify: ['orchestrator'] } });
    agent = await startAgent({ config, agent: 'kaylee', stdout: false });
    await waitFor(async () => (await store.queue.get(t.id))?.state === 'done', 'the rotation');
    assert.deepEqual(((await store.queue.get(t.id))!.result as { archived: number }).archived, 1);
    await waitFor(async () => (await bridge.list({ type: 'notification', to: 'claude' })).length === 1, 'the report');
    const [report] = await bridge.list({ type: 'notification', to: 'claude' });
    assert.match(report!.content, /^✅ rotate-bridge: rotated the bridge: 1 done messages older than 7 days archived, 1 kept/);
  });
});
