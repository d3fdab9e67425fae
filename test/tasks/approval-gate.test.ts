/** A deployment the policy gates waits for the owner's yes in the store: runs once when approved, never when denied or expired, and waits while paused. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseNetwork, resumeNetwork } from '../../src/agent/pause.ts';
import { startAgent, type RunningAgent } from '../../src/cli/roles.ts';
import { createJsonlBridge, type Bridge } from '../../src/bridge/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createSqliteStore, type Approval, type Store } from '../../src/store/index.ts';
import { slotKey } from '../../src/tasks/index.ts';
import { freePort, tempDir, waitFor } from '../helpers/util.ts';

describe('a deploy task under an approval policy', () => {
  let dir: string;
  let cleanup: () => void;
  let config: Config;
  let store: Store;
  let bridge: Bridge;
  let agent: RunningAgent | undefined;

  const setUp = async (ttl: string) => {
    writeFileSync(join(dir, 'count.sh'), '#!/bin/sh\necho "$AGENTNET_TASK_ID" >> runs.txt\necho deployed\n');
    chmodSync(join(dir, 'count.sh'), 0o755);
    writeFileSync(
      join(dir, 'agentnet.yaml'),
      `network: test
bridge: { pollIntervalMs: 100 }
agents:
  kami: { role: relay, health: { port: ${await freePort()} } }
  kaylee:
    role: autonomous
    health: { port: ${await freePort()} }
    worker: { pollMs: 50 }
    approve: { deploy: [production], ttl: ${ttl} }
    deployments:
      production: { command: [./count.sh], cwd: . }
      staging: { command: [./count.sh], cwd: . }
`,
    );
    config = loadConfig(join(dir, 'agentnet.yaml'), { env: {} }).config;
    store = createSqliteStore({ path: config.store.path });
    bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
    agent = await startAgent({ config, agent: 'kaylee', stdout: false });
  };
  const runs = () => (existsSync(join(dir, 'runs.txt')) ? readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n') : []);
  const deploy = async (deployment: string) => (await store.queue.enqueue({ kind: 'deploy', payload: { deployment }, maxAttempts: 1 })).id;
  const asked = async (task: string) => {
    await waitFor(async () => (await store.approvals.list()).some((a) => a.actionKey === `${task}:deploy:production`), 'the approval asked');
    return (await store.approvals.list()).find((a) => a.actionKey === `${task}:deploy:production`) as Approval;
  };
  const report = async (task: string) => {
    await waitFor(async () => (await bridge.list({ type: 'notification' })).some((m) => m.metadata?.task === task), 'the report');
    return (await bridge.list({ type: 'notification' })).filter((m) => m.metadata?.task === task);
  };

  beforeEach(() => ({ dir, cleanup } = tempDir('agentnet-gate-')));
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await store.close();
    await bridge.close();
    cleanup();
  });

  it('asks once and does not run while pending; approved, it runs once and the approval records it', async () => {
    await setUp('1m');
    const staging = await deploy('staging');
    const slot = new Date('2026-12-04T09:00:00.000Z');
    const t = (await store.queue.enqueue({ kind: 'deploy', payload: { deployment: 'production' }, maxAttempts: 1, idempotencyKey: slotKey('kaylee', 'deploy-prod', slot) })).id;
    const a = await asked(t);
    assert.equal(a.status, 'pending');
    assert.deepEqual(a.action, { kind: 'deploy', name: 'production' });
    assert.equal(a.reason, `schedule "deploy-prod" (due 2026-12-04T09:00:00.000Z), task ${t}`);
    await sleep(500);
    assert.deepEqual(runs(), [staging], 'staging needs no yes; production waits');
    const waiting = (await store.queue.get(t))!;
    assert.equal(waiting.state, 'queued', 'waiting is not running, failing or dead');
    assert.equal(waiting.attempts, 0);
    assert.equal((await store.approvals.list({ all: true })).length, 1, 'asked once, however often re-checked');

    assert.equal((await store.approvals.decide({ code: a.code, decision: 'approve', by: 'terminal', channel: 'terminal' })).outcome, 'decided');
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the deployment done');
    assert.deepEqual(runs(), [staging, t]);
    const ran = (await store.approvals.get(a.id))!;
    assert.ok(ran.ranAt, 'recorded as run');
    const [r] = await report(t);
    assert.match(r!.content, /^✅ deploy: deployment "production" succeeded/);
    await sleep(300);
    assert.deepEqual(runs(), [staging, t], 'once');
  });

  it('denied: never runs, and ends with an explicit not-run outcome that is not a failure', async () => {
    await setUp('1m');
    const t = await deploy('production');
    const a = await asked(t);
    await store.approvals.decide({ code: a.code, decision: 'deny', by: '972500000000@c.us', channel: 'whatsapp' });
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the task ended');
    const [r] = await report(t);
    assert.equal(r!.content, `⛔ deploy: deploy production not run: denied by 972500000000@c.us (whatsapp) (task ${t})`);
    assert.equal(r!.metadata?.outcome, 'not-run');
    assert.deepEqual(runs(), []);
  });

  it('silence: expires, never runs', async () => {
    await setUp('1s');
    const t = await deploy('production');
    await asked(t);
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the task ended', 10_000);
    const [r] = await report(t);
    assert.match(r!.content, /^⛔ deploy: deploy production not run: approval \d{4} expired at /);
    assert.deepEqual(runs(), []);
  });

  it('approved while paused: waits for resume, then runs once', async () => {
    await setUp('1m');
    const t = await deploy('production');
    const a = await asked(t);
    pauseNetwork(join(dir, '.agentnet'), { reason: 'test' });
    await sleep(300);
    await store.approvals.decide({ code: a.code, decision: 'approve', by: 'terminal', channel: 'terminal' });
    await sleep(3000); // past the re-check
    assert.deepEqual(runs(), [], 'paused: the approved deployment waits');
    resumeNetwork(join(dir, '.agentnet'));
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the deployment after resume');
    assert.deepEqual(runs(), [t]);
  });
});
