/**
 * Schedules as real processes on a real SQLite store: the autonomous agent SIGKILLed across a due
 * time, the network paused across one, and two copies of the agent racing. Every slot is recorded
 * once and run at most once; a missed one is recorded, caught up once with catchUp, and told to
 * the owner (a bridge notification to the relay) once, counted.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createJsonlBridge, type Bridge } from '../../src/bridge/index.ts';
import { createSqliteStore, type Store } from '../../src/store/index.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

/** A 6-field cron (seconds first) with one slot a year: `at`, in UTC. */
const onceAt = (at: number) => {
  const d = new Date(at);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
};

describe('schedules (real processes)', () => {
  let dir: string;
  let cleanup: () => void;
  let store: Store;
  let bridge: Bridge;
  let procs: ChildProcess[];

  /** agentnet.yaml (and `copies` more configs for the same network, each giving kaylee its own health port), with these schedules. */
  const network = async (schedules: string, copies = 0): Promise<Array<{ file: string; port: number }>> => {
    const configs: Array<{ file: string; port: number }> = [];
    for (let i = 0; i <= copies; i++) {
      const port = await freePort();
      const file = join(dir, i === 0 ? 'agentnet.yaml' : `copy-${i}.yaml`);
      writeFileSync(file, `network: test
bridge: { pollIntervalMs: 100 }
agents:
  claude: { role: orchestrator, health: { port: 1 } }
  kami: { role: relay, health: { port: 2 } }
  kaylee:
    role: autonomous
    health: { port: ${port} }
    worker: { pollMs: 100 }
    deployments:
      count: { command: [./count.sh], cwd: ., notify: [] }
    schedules:
${schedules}
`);
      configs.push({ file, port });
    }
    writeFileSync(join(dir, 'count.sh'), '#!/bin/sh\necho "$AGENTNET_TASK_ID" >> runs.txt\n');
    chmodSync(join(dir, 'count.sh'), 0o755);
    store = createSqliteStore({ path: join(dir, '.agentnet', 'store.db') });
    bridge = createJsonlBridge({ path: join(dir, '.agentnet', 'bridge', 'messages.jsonl'), pollIntervalMs: 100 });
    return configs;
  };
  const run = async (c: { file: string; port: number }) => {
    const p = spawnNode([BIN, 'run', 'kaylee', '-c', c.file, '--quiet'], { cwd: dir });
    p.stdout!.resume();
    procs.push(p);
    await waitHealthy(c.port, 'kaylee', p);
    return p;
  };
  /** The schedules' next slots on /health: set once the scheduler has looked at the slots since its cursor. */
  const considered = (c: { port: number }, names: string[]) =>
    waitFor(async () => {
      const h = (await (await fetch(`http://127.0.0.1:${c.port}/health`)).json()) as { schedules?: Record<string, string | null> };
      return names.every((n) => h.schedules?.[n] !== undefined);
    }, 'the scheduler to consider its slots');
  const cursors = (names: string[]) => waitFor(async () => (await Promise.all(names.map((n) => store.scheduleRuns.cursor('kaylee', n)))).every(Boolean), 'the schedules\' cursors');
  const missedNotes = async (schedule: string) => (await bridge.list({ type: 'notification' })).filter((m) => m.to === 'kami' && m.metadata?.schedule === schedule);
  const runsTxt = () => (existsSync(join(dir, 'runs.txt')) ? readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n') : []);
  const record = async (schedule: string) => (await store.scheduleRuns.list({ agent: 'kaylee', schedule }))[0];
  const passed = (at: number, what: string) => waitFor(() => Date.now() > at, what, 60_000);

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('agentnet-schedules-'));
    procs = [];
  });
  afterEach(async () => {
    for (const p of procs) await stopProcess(p, 'SIGKILL');
    await store?.close();
    await bridge?.close();
    cleanup();
  });

  it('SIGKILLed across a due time: at the restart the slot is a missed run, caught up once with catchUp, and the owner told once', async () => {
    const due = Math.ceil((Date.now() + 12_000) / 1000) * 1000;
    const cron = onceAt(due);
    const [cfg] = await network(`      - { name: caught, cron: "${cron}", timezone: Etc/UTC, task: deploy, payload: { deployment: count }, catchUp: true, graceMs: 1000 }
      - { name: skipped, cron: "${cron}", timezone: Etc/UTC, task: deploy, payload: { deployment: count }, graceMs: 1000 }`);
    const first = await run(cfg!);
    await cursors(['caught', 'skipped']);
    assert.ok(Date.now() < due - 500, 'kaylee started well before the slot (the test needs it down across it)');
    await stopProcess(first, 'SIGKILL');
    await passed(due + 1500, 'the slot and its grace to pass');

    const second = await run(cfg!);
    await waitFor(async () => (await record('caught'))?.outcome === 'success' && (await missedNotes('skipped')).length === 1, 'the catch-up run and the reports');
    const caught = (await record('caught'))!;
    assert.deepEqual([caught.due, caught.missed, caught.slots], [new Date(due).toISOString(), 'down', 1]);
    assert.ok(Date.parse(caught.startedAt!) >= due + 1000 && caught.finishedAt, 'started at the restart, finished');
    const skipped = (await record('skipped'))!;
    assert.deepEqual([skipped.due, skipped.missed, skipped.outcome, skipped.task], [new Date(due).toISOString(), 'down', 'missed', undefined]);
    assert.deepEqual(runsTxt(), [caught.task], 'only the catching schedule ran, once');
    const [note] = await missedNotes('caught');
    assert.match(note!.content, /^⏰ kaylee missed 1 run of schedule "caught" \(deploy\) because kaylee was not running: .* Caught up once: /);
    assert.deepEqual([note!.metadata?.missed, note!.metadata?.caughtUp, note!.metadata?.task], [1, new Date(due).toISOString(), caught.task]);
    assert.match((await missedNotes('skipped'))[0]!.content, /Not caught up/);

    // Restarted again (and its first start counted too): nobody is told twice, nothing runs twice.
    await stopProcess(second, 'SIGTERM');
    const third = await run(cfg!);
    await considered(cfg!, ['caught', 'skipped']);
    await stopProcess(third, 'SIGTERM');
    assert.deepEqual([(await missedNotes('caught')).length, (await missedNotes('skipped')).length, runsTxt().length], [1, 1, 1]);
    assert.equal((await store.scheduleRuns.list()).length, 2, 'one record per slot and schedule');
  });

  it('paused across a due time: nothing is recorded or told until the resume; then the missed run, caught up once, told once', async () => {
    const due = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
    const cron = onceAt(due);
    const [cfg] = await network(`      - { name: caught, cron: "${cron}", timezone: Etc/UTC, task: deploy, payload: { deployment: count }, catchUp: true, graceMs: 1000 }
      - { name: skipped, cron: "${cron}", timezone: Etc/UTC, task: deploy, payload: { deployment: count }, graceMs: 1000 }`);
    await run(cfg!);
    await cursors(['caught', 'skipped']);
    assert.equal((await agentnet(['pause', '--reason', 'test'], { cwd: dir })).code, 0);
    await waitFor(async () => ((await (await fetch(`http://127.0.0.1:${cfg!.port}/health`)).json()) as { paused: boolean }).paused, 'kaylee to say paused');
    assert.ok(Date.now() < due - 500, 'paused before the slot');
    await passed(due + 1500, 'the slot and its grace to pass');
    assert.deepEqual([await store.scheduleRuns.list(), await missedNotes('caught'), runsTxt()], [[], [], []], 'paused: nothing yet');

    assert.equal((await agentnet(['resume'], { cwd: dir })).code, 0);
    await waitFor(async () => (await record('caught'))?.outcome === 'success' && (await missedNotes('skipped')).length === 1, 'the catch-up run and the reports');
    const caught = (await record('caught'))!;
    assert.deepEqual([caught.missed, (await record('skipped'))?.missed, (await record('skipped'))?.outcome], ['paused', 'paused', 'missed']);
    assert.deepEqual(runsTxt(), [caught.task]);
    assert.match((await missedNotes('caught'))[0]!.content, /because the network was paused/);
    const s = await agentnet(['schedules'], { cwd: dir });
    assert.match(s.stdout, /kaylee\/caught .*catchUp\n {2}last run {2}\S+ \S+ UTC success \(started [\d:]+, finished [\d:]+\), missed \(network paused\) and caught up\n {2}next run {2}\d{4}-/);
    assert.match(s.stdout, /kaylee\/skipped .*\n {2}last run {2}none yet\n.*\n {2}missed {4}1, the latest .* \(network paused\)/);
    assert.deepEqual([(await missedNotes('caught')).length, (await missedNotes('skipped')).length], [1, 1]);
  });

  it('two copies of the agent racing: each slot recorded once and run at most once; a slot missed while both were down told once, caught up once', async () => {
    const due = Math.ceil((Date.now() + 15_000) / 1000) * 1000;
    const configs = await network(`      - { name: tick, cron: "*/2 * * * * *", task: deploy, payload: { deployment: count }, catchUp: true, graceMs: 1000 }
      - { name: once, cron: "${onceAt(due)}", timezone: Etc/UTC, task: deploy, payload: { deployment: count }, catchUp: true, graceMs: 1000 }`, 1);
    let both = await Promise.all(configs.map((c) => run(c)));
    await waitFor(async () => (await store.scheduleRuns.list({ schedule: 'tick', ran: true })).filter((r) => r.outcome === 'success').length >= 2, 'two tick slots run');
    await passed(due - 3000, 'the time to stop both, 3 s before the once slot');
    for (const p of both) await stopProcess(p, 'SIGKILL');
    assert.ok(Date.now() < due - 500, 'both down before the once slot');
    await passed(due + 1500, 'the once slot and its grace to pass while both are down');
    both = await Promise.all(configs.map((c) => run(c)));
    await waitFor(async () => (await record('once'))?.outcome === 'success', 'the once slot caught up');
    await waitFor(async () => (await store.scheduleRuns.list({ missed: true, limit: 1000 })).every((r) => r.reportedAt), 'every missed run told');
    await Promise.all(configs.map((c) => considered(c, ['tick', 'once'])));
    for (const p of both) await stopProcess(p, 'SIGTERM');

    const records = await store.scheduleRuns.list({ limit: 1000 });
    const ran = runsTxt();
    assert.equal(new Set(ran).size, ran.length, `no task ran twice: ${ran.join(' ')}`);
    const done = records.filter((r) => r.outcome === 'success').map((r) => r.task);
    assert.ok(done.every((t) => ran.includes(t!)), 'each slot recorded as a success ran');
    // A run SIGKILLed between its command and its record ran without finishing: at least once, it
    // runs again when its lease lapses, which this test does not wait for. Any run that finished
    // has its slot recorded as a success.
    const cut = ran.filter((t) => !done.includes(t));
    for (const t of cut) {
      const task = await store.queue.get(t);
      assert.notEqual(task?.state, 'done', `task ${t} finished without its slot recorded: ${JSON.stringify(task)} ${JSON.stringify(records.filter((r) => r.task === t))}`);
    }
    assert.ok(cut.length <= configs.length, `at most one run cut per copy killed: ${cut.join(' ')}`);
    assert.equal((await store.queue.list({ limit: 1000 })).length, records.filter((r) => r.task).length, 'one task per slot that made one');
    // The once slot: one record, missed while down, caught up once, told once.
    const once = records.filter((r) => r.schedule === 'once');
    assert.deepEqual(once.map((r) => [r.due, r.missed, r.outcome]), [[new Date(due).toISOString(), 'down', 'success']]);
    assert.equal(ran.filter((t) => t === once[0]!.task).length, 1);
    assert.equal((await missedNotes('once')).length, 1, 'told once, by one of the two');
    // Every missed tick (while down, or late on a busy machine) was told exactly once, across both copies' reports.
    const told = (await missedNotes('tick')).flatMap((m) => m.metadata?.dues as string[]);
    const missed = records.filter((r) => r.schedule === 'tick' && r.missed).map((r) => r.due);
    assert.ok(records.some((r) => r.schedule === 'tick' && r.missed === 'down'), 'ticks were missed while both were down');
    assert.deepEqual([...told].sort(), [...missed].sort(), 'each missed tick in one report');
  });
});
