/**
 * The autonomous agent as real processes on a real SQLite store: monitoring alerts through a
 * fake Green API, deployments and their reports, several workers, a worker killed mid-task,
 * PAUSE, and a failing task's back-off.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseNetwork, resumeNetwork } from '../../src/agent/pause.ts';
import { createJsonlBridge, type Bridge, type BridgeMessage } from '../../src/bridge/index.ts';
import { createSqliteStore, type Store, type Task } from '../../src/store/index.ts';
import { startFakeGreenApi } from '../fakes/fake-green-api.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

describe('autonomous agent (real processes)', () => {
  let dir: string;
  let cleanup: () => void;
  let store: Store;
  let bridge: Bridge;
  let procs: ChildProcess[];
  let ports: Record<string, number>;

  /** Writes agentnet.yaml: claude, kami (relay) and kaylee (autonomous) plus extra YAML under kaylee / the agents. */
  const network = async (kaylee: string, opts: { kamiChannel?: string; extraAgents?: string } = {}) => {
    ports = { claude: await freePort(), kami: await freePort(), kaylee: await freePort(), kaylee2: await freePort() };
    writeFileSync(
      join(dir, 'agentnet.yaml'),
      `network: test
bridge: { pollIntervalMs: 100 }
agents:
  claude: { role: orchestrator, health: { port: ${ports.claude} } }
  kami:
    role: relay
    health: { port: ${ports.kami} }
${opts.kamiChannel ?? ''}
  kaylee:
    role: autonomous
    health: { port: ${ports.kaylee} }
${kaylee}
${opts.extraAgents ?? ''}`,
    );
    store = createSqliteStore({ path: join(dir, '.agentnet', 'store.db') });
    bridge = createJsonlBridge({ path: join(dir, '.agentnet', 'bridge', 'messages.jsonl'), pollIntervalMs: 100 });
  };
  const run = (agent: string) => {
    const p = spawnNode([BIN, 'run', agent], { cwd: dir });
    p.stdout!.resume();
    p.stderr!.resume();
    procs.push(p);
    return p;
  };
  const healthy = (agent: string) => waitHealthy(ports[agent]!, agent);
  const stop = stopProcess;
  const script = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  const enqueue = async (kind: string, payload: unknown, ...args: string[]) => {
    const r = await agentnet(['tasks', 'add', kind, '--payload', JSON.stringify(payload), ...args], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const task = async (id: string) => (await store.queue.get(id)) as Task;
  const notifications = async (to: string) => (await bridge.list({ type: 'notification' })).filter((m) => m.to === to);

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('agentnet-auto-'));
    procs = [];
  });
  afterEach(async () => {
    for (const p of procs) await stop(p, 'SIGKILL');
    await store?.close();
    await bridge?.close();
    cleanup();
  });

  it('monitor alerts the owner once when an agent goes down and once when it is back, through the relay\'s WhatsApp directly', async () => {
    const green = await startFakeGreenApi();
    try {
      await network(
        `    worker: { pollMs: 100 }
    schedules:
      - { name: monitor, cron: "* * * * * *", task: monitor, payload: { agents: [kami], confirmMs: 0 } }`,
        { kamiChannel: `    channel: { type: whatsapp, apiUrl: "${green.url}", idInstance: "${green.idInstance}", apiToken: "${green.apiToken}", owners: ["972500000000"] }` },
      );
      const monitorRuns = async () => (await store.queue.list({ kind: 'monitor', state: 'done' })).length;
      const afterRuns = async (n: number) => {
        const from = await monitorRuns();
        await waitFor(async () => (await monitorRuns()) >= from + n, `${n} more monitor runs`);
      };
      let kami = run('kami');
      await healthy('kami');
      run('kaylee');
      await waitFor(async () => ((await store.memory.get('monitor', 'kami'))?.value as { state?: string } | undefined)?.state === 'up', 'kami seen up');
      await afterRuns(2);
      assert.equal(green.sent.length, 0, 'no alert while all is well');

      await stop(kami, 'SIGKILL');
      await waitFor(() => green.sent.length === 1, 'the down alert');
      await afterRuns(3);
      assert.equal(green.sent.length, 1, 'one alert, not one per check while kami stays down');
      assert.equal(green.sent[0]!.chatId, '972500000000@c.us');
      assert.match(green.sent[0]!.message, /kami \(relay\) is down: not running/);
      const down = (await store.memory.get('monitor', 'kami'))!.value as { state: string; since: string };
      assert.equal(down.state, 'down');
      // status shows what the watch recorded.
      const st = await agentnet(['status', '--json'], { cwd: dir });
      const kamiStatus = (JSON.parse(st.stdout) as { agents: Array<{ agent: string; watched?: { state: string; by: string } }> }).agents.find((a) => a.agent === 'kami')!;
      assert.deepEqual([kamiStatus.watched?.state, kamiStatus.watched?.by], ['down', 'kaylee']);
      assert.match((await agentnet(['status'], { cwd: dir })).stdout, /down since \d+s ago \(kaylee, \d+s ago\)/);

      // Green API fails when kami is back: the alert waits on the bridge, and kami delivers it.
      green.fail(500, 1, 'sendMessage');
      kami = run('kami');
      await waitFor(async () => (await notifications('kami')).some((m) => /kami \(relay\) is back/.test(m.content)), 'the recovery alert');
      await afterRuns(3);
      const alerts = (await notifications('kami')).filter((m) => m.metadata?.alert);
      assert.deepEqual(alerts.map((m) => [m.metadata?.state, m.metadata?.delivered ?? 'pending']), [['down', 'whatsapp'], ['up', 'pending']]);
      await waitFor(() => green.sent.length === 2, 'the recovery alert, delivered by kami from the bridge');
      assert.match(green.sent[1]!.message, /^🔔 kaylee: ✅ kami \(relay\) is back/);
      // kaylee's send is over (its failure is what left the alert on the bridge); kami's part is over
      // when the alert is done and kami's outbox is empty: nothing is left that could send it again.
      await waitFor(
        async () =>
          (await notifications('kami')).filter((m) => m.metadata?.alert && m.status === 'pending').length === 0 &&
          (await store.ledger.stats('kami', Date.now())).outbound.pending === 0,
        "the alert done and kami's outbox empty",
      );
      assert.equal(green.sent.length, 2, 'the failed direct send was not retried into a duplicate');

      await stop(kami, 'SIGKILL');
      await waitFor(() => green.sent.length === 3, 'the second down alert, direct again');
    } finally {
      await green.close();
    }
  });

  it('deploys: every output line in the log, a success report to the owner, a failure reported once and never retried on its own', async () => {
    script('ok.sh', 'echo "building $AGENTNET_DEPLOYMENT"\necho "warning: cache cold" >&2\necho "deployed $AGENTNET_TASK_ID"');
    script('bad.sh', 'echo compiling\necho "error: missing semicolon" >&2\nexit 3');
    script('control.sh', 'true');
    await network(`    worker: { pollMs: 100 }
    deployments:
      web: { command: [./ok.sh], cwd: . }
      api: { command: [./bad.sh], cwd: ., notify: [orchestrator] }
      control: { command: [./control.sh], cwd: ., notify: [] }`);
    run('kaylee');
    await healthy('kaylee');
    // The control: not paused, a task is claimed and done; the paused window below is three times
    // as long as that took (at least ten polls), so "still queued" means it was not claimed.
    const enqueued = performance.now();
    const control = await enqueue('deploy', { deployment: 'control' });
    await waitFor(async () => (await task(control)).state === 'done', 'the control task done');
    const windowMs = Math.max(1000, 3 * (performance.now() - enqueued));
    pauseNetwork(join(dir, '.agentnet'), { reason: 'test' });
    await waitFor(async () => ((await (await fetch(`http://127.0.0.1:${ports.kaylee}/health`)).json()) as { paused: boolean }).paused, 'kaylee to say paused');
    const ok = await enqueue('deploy', { deployment: 'web' });
    const bad = await enqueue('deploy', { deployment: 'api' });
    await sleep(windowMs);
    assert.equal((await task(ok)).state, 'queued', 'paused: nothing is claimed');
    resumeNetwork(join(dir, '.agentnet'));
    await waitFor(async () => (await task(ok)).state === 'done' && (await task(bad)).state === 'dead', 'both deployments to finish');

    // The report follows the task's outcome in the queue.
    await waitFor(async () => (await notifications('kami')).filter((m) => m.metadata?.task === ok || m.metadata?.task === bad).length === 2, 'both reports');
    const reports = await notifications('kami');
    const success = reports.find((m) => m.metadata?.task === ok) as BridgeMessage;
    assert.match(success.content, /^✅ deploy: deployment "web" succeeded in [\d.]+ s \(exit 0\)/);
    assert.match(success.content, new RegExp(`deployed ${ok}`), 'the last lines, with the task id the script saw');
    assert.equal(success.metadata?.outcome, 'success');
    const failure = reports.find((m) => m.metadata?.task === bad) as BridgeMessage;
    assert.match(failure.content, /^❌ deploy failed after 1 of 1 attempt\(s\): deployment "api" failed after [\d.]+ s \(exit 3\)/);
    assert.match(failure.content, /error: missing semicolon/);
    await waitFor(async () => (await notifications('claude')).some((m) => m.metadata?.task === bad), 'and to the orchestrator the deployment names');
    assert.equal((await task(bad)).attempts, 1);

    const log = readFileSync(join(dir, '.agentnet', 'logs', 'kaylee.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const out = log.filter((l) => l.event === 'deploy output' && l.deployment === 'web');
    assert.deepEqual(out.map((l) => [l.stream, l.line]).sort(), [['stderr', 'warning: cache cold'], ['stdout', 'building web'], ['stdout', `deployed ${ok}`]]);
    assert.ok(out.every((l) => !Number.isNaN(Date.parse(l.ts))), 'each line timestamped');
  });

  it('two autonomous agents with two workers each never run one task twice', async () => {
    script('count.sh', 'echo "$AGENTNET_TASK_ID" >> runs.txt');
    const deployments = `    worker: { concurrency: 2, pollMs: 50 }
    deployments:
      count: { command: [./count.sh], cwd: ., notify: [] }`;
    await network(deployments, { extraAgents: `  kaylee2:\n    role: autonomous\n    health: { port: PORT2 }\n${deployments}` });
    writeFileSync(join(dir, 'agentnet.yaml'), readFileSync(join(dir, 'agentnet.yaml'), 'utf8').replace('PORT2', String(ports.kaylee2)));
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => store.queue.enqueue({ kind: 'deploy', payload: { deployment: 'count', n: i }, maxAttempts: 1 }).then((t) => t.id)));
    run('kaylee');
    run('kaylee2');
    await waitFor(async () => (await store.queue.stats()).done === 30, 'all 30 tasks done', 60_000);
    const runs = readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n');
    assert.equal(runs.length, 30, 'each task ran once');
    assert.deepEqual([...runs].sort(), [...ids].sort());
  });

  it('a worker killed with SIGKILL mid-task has its task reclaimed and finished after its lease', async () => {
    script('slow.sh', 'echo "start $$" >> runs.txt\nsleep 1.5\necho "end $$" >> runs.txt');
    await network(`    worker: { pollMs: 100, leaseMs: 1000 }
    deployments:
      slow: { command: [./slow.sh], cwd: . }`);
    const first = run('kaylee');
    await healthy('kaylee');
    const id = await enqueue('deploy', { deployment: 'slow' }, '--max-attempts', '2');
    await waitFor(() => existsSync(join(dir, 'runs.txt')), 'the deployment to start');
    const holder = (await task(id)).worker;
    await stop(first, 'SIGKILL');
    // The orphaned script (its own process group) would finish on its own; a dead host's would not.
    const orphan = Number(readFileSync(join(dir, 'runs.txt'), 'utf8').match(/start (\d+)/)![1]);
    process.kill(-orphan, 'SIGKILL');
    run('kaylee');
    await waitFor(async () => (await task(id)).state === 'done', 'the task done by the new worker');
    const t = await task(id);
    assert.equal(t.attempts, 2, 'the killed attempt counts');
    assert.equal(t.lastError, 'lease expired');
    const runs = readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n');
    assert.equal(runs.filter((l) => l.startsWith('end')).length, 1, `finished once, by the second worker: ${runs.join(' | ')}`);
    assert.ok(holder?.startsWith('kaylee@'));
    await waitFor(async () => (await notifications('kami')).some((m) => m.metadata?.task === id), 'the report');
    const reports = (await notifications('kami')).filter((m) => m.metadata?.task === id);
    assert.equal(reports.length, 1);
    assert.match(reports[0]!.content, /^✅ deploy: deployment "slow" succeeded/);
  });
});
