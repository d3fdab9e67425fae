/**
 * Three agents as if on three machines: separate directories and state, nothing shared but the
 * PostgreSQL URL. The owner's WhatsApp messages (fake Green API) reach the relay, escalate to
 * the orchestrator (fake Anthropic), and the answers come back to the chat. PostgreSQL (a
 * throwaway cluster) is stopped while the orchestrator is working on an answer and while a new
 * message arrives, then started again: every message is answered once, none twice, and the
 * model is not asked again for work it had done.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthReport } from '../../src/agent/health.ts';
import { createPgBridge } from '../../src/bridge/pg.ts';
import { createPostgresStore } from '../../src/store/postgres.ts';
import { startFakeAnthropic, type AnthropicReply } from '../fakes/fake-anthropic.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import type { ScriptedServer } from '../fakes/scripted-server.ts';
import { pgClusterSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { agentnet, BIN, e2eAgentsYaml, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;
const KEY = 'sk-ant-fake-key-0123456789';
const AGENTS = ['claude', 'kami', 'kaylee'] as const;

const skip = pgClusterSkipReason();

describe('several hosts sharing only PostgreSQL', { skip }, () => {
  let cluster: PgCluster;
  let green: FakeGreenApi;
  let anthropic: ScriptedServer<AnthropicReply>;
  let root: { dir: string; cleanup(): void };
  const procs: ChildProcess[] = [];
  const ports: Record<string, number> = {};

  before(async () => {
    cluster = await startPgCluster();
    green = await startFakeGreenApi();
    anthropic = await startFakeAnthropic();
    root = tempDir('agentnet-hosts-');
    for (const a of AGENTS) ports[a] = await freePort();
  });
  after(async () => {
    for (const p of procs) await stopProcess(p, 'SIGKILL');
    await green?.close();
    await anthropic?.close();
    cluster?.destroy();
    root?.cleanup();
  });

  /** The same network file on every "host"; each host runs its own agent with its own state directory. */
  const host = (agent: string) => {
    const dir = join(root.dir, `host-${agent}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'agentnet.yaml'),
      `network: hosts
store: { backend: postgres, url: "${cluster.url}", schema: hosts }
bridge: { pollIntervalMs: 200 }
${e2eAgentsYaml({ anthropicUrl: anthropic.url, green, owner: OWNER, ports })}`,
    );
    const p = spawnNode([BIN, 'run', agent, '--quiet'], { cwd: dir, env: { ...process.env, KEY } });
    p.stdout!.resume();
    p.stderr!.resume();
    procs.push(p);
  };
  const health = async (agent: string): Promise<HealthReport> => (await fetch(`http://127.0.0.1:${ports[agent]}/health`)).json() as Promise<HealthReport>;

  it('relay → orchestrator → relay across hosts, through a PostgreSQL restart: nothing lost, nothing twice', async () => {
    for (const a of AGENTS) host(a);
    await Promise.all(AGENTS.map((a) => waitHealthy(ports[a]!, a)));

    // 1. The round trip, with only the database in common.
    anthropic.script({ reply: { text: 'All 3 servers are healthy.' } });
    green.incoming({ from: OWNER, text: 'Check the servers please' });
    await green.waitForSent((m) => m.message === 'All 3 servers are healthy.', 20_000);

    // 2. The orchestrator is working on an answer when PostgreSQL goes down.
    anthropic.script({ delayMs: 4000, then: { reply: { text: 'Deployed to staging.' } } }, { reply: { text: 'Disk at 41%.' } });
    green.incoming({ from: OWNER, text: 'Deploy to staging' });
    await waitFor(() => anthropic.requests.length === 2, 'the orchestrator asked its model');
    cluster.stop();
    for (const a of AGENTS) {
      await waitFor(async () => (await health(a)).status === 'degraded', `${a} degraded while PostgreSQL is down`);
      assert.match((await health(a)).problems!.join('; '), /PostgreSQL unreachable since/);
    }
    // 3. A new message arrives meanwhile: received, kept with the provider until it can be recorded.
    green.incoming({ from: OWNER, text: 'And the disk?' });
    await waitFor(() => anthropic.answered >= 2, "the model's answer to come back while the database is down", 30_000);
    assert.equal(green.sentTo(OWNER_CHAT).includes('Deployed to staging.'), false);
    cluster.start();

    await green.waitForSent((m) => m.message === 'Deployed to staging.', 30_000);
    await green.waitForSent((m) => m.message === 'Disk at 41%.', 30_000);
    for (const a of AGENTS) await waitFor(async () => (await health(a)).status === 'ok', `${a} ok again`);

    const bridge = await createPgBridge({ url: cluster.url, schema: 'hosts' });
    try {
      await waitFor(async () => (await bridge.list({ status: 'pending' })).length === 0, 'every message done');
      // kami's part is over when its ledger has nothing unfinished and nothing left to send.
      const store = await createPostgresStore({ url: cluster.url, schema: 'hosts' });
      try {
        await waitFor(async () => {
          const st = await store.ledger.stats('kami', Date.now());
          return st.inbound.received === 0 && st.outbound.pending === 0;
        }, "kami's ledger settled");
      } finally {
        await store.close();
      }
      const all = await bridge.list();
      const requests = all.filter((m) => m.type === 'request');
      const responses = all.filter((m) => m.type === 'response');
      assert.deepEqual(requests.map((m) => [m.from, m.to]), [['kami', 'claude'], ['kami', 'claude'], ['kami', 'claude']]);
      assert.deepEqual(responses.map((m) => m.replyTo).sort(), requests.map((m) => m.id).sort(), 'one response per request');
    } finally {
      await bridge.close();
    }
    const sent = green.sentTo(OWNER_CHAT);
    for (const text of ['All 3 servers are healthy.', 'Deployed to staging.', 'Disk at 41%.']) {
      assert.equal(sent.filter((s) => s === text).length, 1, `"${text}" delivered once: ${JSON.stringify(sent)}`);
    }
    assert.equal(sent.filter((s) => s.startsWith('Got it')).length, 3, `one acknowledgement per message: ${JSON.stringify(sent)}`);
    assert.equal(sent.length, 6, JSON.stringify(sent));
    assert.equal(anthropic.requests.length, 3, 'the answer in hand was kept, not asked for again');
    assert.equal(green.pending(), 0, 'every notification was recorded, then deleted');
    for (const p of procs) assert.equal(p.exitCode, null, 'no agent died on the way');
  });

  it('agents stopped while PostgreSQL is down exit 0 promptly (a systemctl stop during an outage)', async () => {
    for (const a of AGENTS) await waitHealthy(ports[a]!, a);
    cluster.stop();
    try {
      for (const a of AGENTS) await waitFor(async () => (await health(a)).status === 'degraded', `${a} degraded`);
      const t0 = Date.now();
      const exits = await Promise.all(
        procs.map((p) => {
          const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
          p.kill('SIGTERM');
          return exited;
        }),
      );
      assert.deepEqual(exits, [0, 0, 0]);
      assert.ok(Date.now() - t0 < 20_000, `stopped in ${Date.now() - t0} ms`);
    } finally {
      cluster.start();
    }
  });

  it('agents started while PostgreSQL is down wait for it, degraded, then work (a host that boots first)', async () => {
    cluster.stop();
    procs.length = 0;
    for (const a of AGENTS) host(a);
    for (const a of AGENTS) {
      await waitHealthy(ports[a]!, a);
      await waitFor(async () => /PostgreSQL unreachable since/.test((await health(a)).problems?.join('; ') ?? ''), `${a} to say why it waits`);
      assert.equal((await health(a)).status, 'degraded');
    }
    // The control: an agent whose start fails (it is not in the config) has exited within the window.
    const failing = performance.now();
    const failed = await agentnet(['run', 'nobody', '--quiet'], { cwd: join(root.dir, 'host-claude'), env: { ...process.env, KEY } });
    assert.notEqual(failed.code, 0, 'the control failed at start');
    await sleep(Math.max(3000, 3 * (performance.now() - failing))); // longer than any start-up failure would take
    for (const [i, p] of procs.entries()) assert.equal(p.exitCode, null, `${AGENTS[i]} still waiting, not exited`);

    // A stop while it waits to start is a clean stop (systemd must not count it as a failure).
    const kaylee = procs[2]!;
    const exited = new Promise<number | null>((r) => kaylee.once('exit', (code) => r(code)));
    kaylee.kill('SIGTERM');
    assert.equal(await exited, 0);
    host('kaylee');
    await waitHealthy(ports.kaylee!, 'kaylee');

    cluster.start();
    for (const a of AGENTS) await waitFor(async () => (await health(a)).status === 'ok', `${a} ok once PostgreSQL is up`);
    anthropic.script({ reply: { text: 'Started fine.' } });
    green.incoming({ from: OWNER, text: 'Did everything start?' });
    await green.waitForSent((m) => m.message === 'Started fine.', 30_000);
    for (const p of procs.slice(0, 2).concat(procs.slice(3))) assert.equal(p.exitCode, null, 'no agent died on the way');
  });
});
