/**
 * Schedules: each cron slot becomes one task and one run record, at its minute and time zone, once;
 * a slot that did not start in time is a missed run, recorded, caught up once when asked, and told
 * to the owner once. A real SQLite store and a clock the test moves.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { startScheduler, type Scheduler } from '../../src/tasks/scheduler.ts';
import { missedReportText, type MissedReport } from '../../src/tasks/missed.ts';
import { MAX_COUNTED_SLOTS, slotKey, type ScheduleConfig } from '../../src/tasks/slots.ts';
import { createSqliteStore, type Store, type TaskQueue } from '../../src/store/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { tempDir } from '../helpers/util.ts';

const every5: ScheduleConfig = { name: 'monitor', cron: '*/5 * * * *', task: 'monitor', catchUp: false, graceMs: 60_000 };
const daily9: ScheduleConfig = { name: 'review', cron: '0 9 * * *', timezone: 'Asia/Jerusalem', task: 'code-review', payload: { review: 'app' }, catchUp: false, graceMs: 60_000 };
const catching: ScheduleConfig = { ...every5, name: 'catching', catchUp: true };

describe('scheduler', () => {
  let dir: string;
  let cleanup: () => void;
  let store: Store;
  let clock: FakeClock;
  let paused = false;
  const waiting = new Set<() => void>();
  const resume = () => {
    for (const w of waiting) w();
    waiting.clear();
  };
  const reports: MissedReport[] = [];
  const log = createMemoryLogger();
  const running: Scheduler[] = [];
  /** Resolves at `resume()` while paused, at once otherwise: what the runtime's PauseWatch does. */
  const untilResumed = (signal: AbortSignal) =>
    paused
      ? new Promise<void>((r, j) => {
          waiting.add(r);
          signal.addEventListener('abort', () => j(signal.reason), { once: true });
        })
      : Promise.resolve();
  const start = (schedules: ScheduleConfig[], queue: TaskQueue = store.queue) => {
    const s = startScheduler({
      agent: 'kaylee', schedules, queue, runs: store.scheduleRuns, memory: store.memory, logger: log, clock, maxAttempts: (k) => (k === 'monitor' ? 1 : 3),
      paused: () => paused,
      untilResumed,
      reportMissed: async (r) => void reports.push(r),
    });
    running.push(s);
    return s;
  };
  const stopAll = async () => {
    for (const s of running.splice(0)) await s.stop();
  };
  const slotsOf = async (schedule?: string) =>
    (await store.queue.list({ limit: 1000 })).filter((t) => !schedule || (t.payload as { schedule: string }).schedule === schedule).map((t) => (t.payload as { slot: string }).slot);
  const runs = (schedule: string) => store.scheduleRuns.list({ agent: 'kaylee', schedule, limit: 1000 });
  const reportsOf = (schedule: string) => reports.filter((r) => r.schedule.name === schedule);

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('agentnet-sched-'));
    store = createSqliteStore({ path: join(dir, 'store.db') });
    clock = new FakeClock('2026-11-24T12:03:30Z');
    paused = false;
    log.entries.length = 0;
    reports.length = 0;
  });
  afterEach(async () => {
    await stopAll();
    await store.close();
    cleanup();
  });

  it("creates one task and one run record per slot, at its minute, in the schedule's time zone", async () => {
    const s = start([every5, daily9]);
    await clock.advanceTo('2026-11-24T12:04:59.999Z');
    assert.deepEqual(await slotsOf(), [], 'nothing before the first slot');
    assert.deepEqual(s.next(), { monitor: '2026-11-24T12:05:00.000Z', review: '2026-11-25T07:00:00.000Z' }, '09:00 in Jerusalem is 07:00 UTC in November');
    await clock.advanceTo('2026-11-24T12:05:00Z');
    assert.deepEqual(await slotsOf(), ['2026-11-24T12:05:00.000Z']);
    const [task] = await store.queue.list();
    assert.deepEqual([task!.kind, task!.maxAttempts, task!.idempotencyKey], ['monitor', 1, 'schedule:kaylee:monitor:2026-11-24T12:05:00.000Z']);
    assert.deepEqual(task!.payload, { schedule: 'monitor', slot: '2026-11-24T12:05:00.000Z' });
    const [run] = await runs('monitor');
    assert.deepEqual([run!.due, run!.task, run!.outcome, run!.missed, run!.recordedAt], ['2026-11-24T12:05:00.000Z', task!.id, 'queued', undefined, '2026-11-24T12:05:00.000Z']);
    await clock.advanceTo('2026-11-25T06:59:59Z');
    assert.deepEqual(await slotsOf('review'), [], 'not before 09:00 local');
    await clock.advanceTo('2026-11-25T07:00:00Z');
    const [review] = await store.queue.list({ kind: 'code-review' });
    assert.deepEqual(review!.payload, { review: 'app', schedule: 'review', slot: '2026-11-25T07:00:00.000Z' });
    // 12:05 .. 07:00 next day, every 5 minutes: each slot exactly once, each with its record, none missed.
    const monitor = await slotsOf('monitor');
    assert.equal(monitor.length, 228);
    assert.equal(new Set(monitor).size, monitor.length);
    const records = await runs('monitor');
    assert.equal(records.length, 228);
    assert.ok(records.every((r) => r.task && !r.missed));
    assert.equal(reports.length, 0);
  });

  it('a first start catches nothing up; a restart after a downtime records each missed slot, catches the latest up once if asked, tells the owner once', async () => {
    start([every5, catching]);
    await clock.advanceTo('2026-11-24T12:06:00Z');
    await stopAll();
    assert.equal((await slotsOf()).length, 2, 'the 12:05 slot of each');
    assert.equal(reports.length, 0, 'a first start misses nothing');
    // Down from 12:06 to 12:23: the 12:10, 12:15 and 12:20 slots were missed.
    clock.jumpTo('2026-11-24T12:23:00Z');
    start([every5, catching]);
    await clock.advanceTo('2026-11-24T12:23:01Z');
    const missed = ['2026-11-24T12:10:00.000Z', '2026-11-24T12:15:00.000Z', '2026-11-24T12:20:00.000Z'];
    for (const name of ['monitor', 'catching']) {
      const recs = (await runs(name)).filter((r) => r.missed);
      assert.deepEqual(recs.map((r) => [r.due, r.missed]).reverse(), missed.map((d) => [d, 'down']), name);
      assert.equal(reportsOf(name).length, 1, `${name}: the owner told once`);
      assert.deepEqual(reportsOf(name)[0]!.runs.map((r) => r.due), missed);
    }
    assert.deepEqual(await slotsOf('monitor'), ['2026-11-24T12:05:00.000Z'], 'without catchUp nothing runs');
    assert.deepEqual(await slotsOf('catching'), ['2026-11-24T12:05:00.000Z', '2026-11-24T12:20:00.000Z'], 'only its latest missed slot, once');
    const caught = (await runs('catching'))[0]!;
    assert.deepEqual([caught.due, caught.missed, caught.outcome, typeof caught.task], ['2026-11-24T12:20:00.000Z', 'down', 'queued', 'string']);
    assert.match(missedReportText('kaylee', reportsOf('catching')[0]!), /^⏰ kaylee missed 3 runs of schedule "catching" \(monitor\) because kaylee was not running: 2026-11-24 12:10 UTC, 2026-11-24 12:15 UTC, 2026-11-24 12:20 UTC\. Caught up once: the 2026-11-24 12:20 UTC run \(task task-.+\)\. Next run: 2026-11-24 12:25 UTC\.$/);
    assert.match(missedReportText('kaylee', reportsOf('monitor')[0]!), /Not caught up \(the schedule has no catchUp: true\)\./);
    await stopAll();
    start([every5, catching]); // restarted again: nothing new was missed
    await clock.advanceTo('2026-11-24T12:24:00Z');
    assert.equal((await slotsOf()).length, 3);
    assert.equal(reports.length, 2, 'nobody is told twice');
  });

  it('a slot at most graceMs late still starts at a restart; a later one is missed', async () => {
    const quick = { ...every5, name: 'quick', graceMs: 30_000 };
    start([every5, quick]);
    await clock.advanceTo('2026-11-24T12:04:00Z');
    await stopAll();
    clock.jumpTo('2026-11-24T12:05:20Z');
    start([every5, quick]);
    await clock.advanceTo('2026-11-24T12:05:21Z');
    assert.deepEqual(await slotsOf('monitor'), ['2026-11-24T12:05:00.000Z'], '20 s late, within a minute: it runs');
    assert.deepEqual(await slotsOf('quick'), ['2026-11-24T12:05:00.000Z'], 'within 30 s too');
    await stopAll();
    clock.jumpTo('2026-11-24T12:10:45Z');
    start([every5, quick]);
    await clock.advanceTo('2026-11-24T12:10:46Z');
    assert.deepEqual((await slotsOf('monitor')).length, 2, '45 s late: still within its minute');
    assert.deepEqual((await slotsOf('quick')).length, 1, 'not within 30 s');
    assert.deepEqual((await runs('quick')).map((r) => [r.due, r.missed]), [['2026-11-24T12:10:00.000Z', 'down'], ['2026-11-24T12:05:00.000Z', undefined]]);
    assert.deepEqual(reports.map((r) => r.schedule.name), ['quick']);
  });

  it('a slot due while the network is paused waits for the resume: then missed, caught up once if asked, told once', async () => {
    start([every5, catching]);
    paused = true;
    await clock.advanceTo('2026-11-24T12:12:00Z');
    assert.deepEqual(await slotsOf(), [], 'paused: no task');
    assert.deepEqual(await store.scheduleRuns.list(), [], 'and nothing recorded or told until the resume');
    assert.equal(reports.length, 0);
    paused = false;
    resume();
    await clock.advanceTo('2026-11-24T12:12:01Z');
    for (const name of ['monitor', 'catching']) {
      assert.deepEqual((await runs(name)).map((r) => [r.due, r.missed]), [['2026-11-24T12:10:00.000Z', 'paused'], ['2026-11-24T12:05:00.000Z', 'paused']], name);
      assert.equal(reportsOf(name).length, 1, `${name}: told once`);
    }
    assert.deepEqual(await slotsOf('monitor'), []);
    assert.deepEqual(await slotsOf('catching'), ['2026-11-24T12:10:00.000Z'], 'the latest, once');
    assert.match(missedReportText('kaylee', reportsOf('monitor')[0]!), /because the network was paused/);
    await clock.advanceTo('2026-11-24T12:15:00Z');
    assert.equal((await slotsOf()).length, 3, 'then each slot as it comes');
    assert.equal(reports.length, 2);
  });

  it('resumed within graceMs of the slot: it starts, late, and nothing is missed', async () => {
    start([every5]);
    paused = true;
    await clock.advanceTo('2026-11-24T12:05:10Z');
    paused = false;
    resume();
    await clock.advanceTo('2026-11-24T12:05:11Z');
    assert.deepEqual(await slotsOf(), ['2026-11-24T12:05:00.000Z']);
    assert.equal(reports.length, 0);
  });

  it('the wall clock stepped forward an hour: the slots in between are missed (late), told once; the latest caught up once if asked', async () => {
    const minutely = { ...every5, name: 'minutely', cron: '* * * * *' };
    const minutelyCatching = { ...minutely, name: 'minutely-catching', catchUp: true };
    start([every5, catching, minutely, minutelyCatching]);
    await clock.advanceTo('2026-11-24T12:03:40Z');
    clock.jumpTo('2026-11-24T13:03:30Z');
    await clock.advanceTo('2026-11-24T13:03:31Z');
    // Every 5 minutes: 12:05 .. 13:00 is 12 slots, the latest 3.5 min late, past its minute of grace.
    const monitor = await runs('monitor');
    assert.deepEqual(monitor.slice(0, 10).map((r) => r.due).reverse(), Array.from({ length: 10 }, (_, i) => new Date(Date.parse('2026-11-24T12:15:00Z') + i * 300_000).toISOString()));
    assert.deepEqual(monitor.slice(10).map((r) => [r.due, r.slots, r.through]), [['2026-11-24T12:05:00.000Z', 2, '2026-11-24T12:10:00.000Z']], 'the oldest summarised');
    assert.ok(monitor.every((r) => r.missed === 'late'));
    assert.equal(await store.scheduleRuns.missedSlots('kaylee', 'monitor'), 12);
    assert.deepEqual(await slotsOf('monitor'), []);
    assert.deepEqual(await slotsOf('catching'), ['2026-11-24T13:00:00.000Z']);
    // Every minute: the latest (13:03) is 30 s late and starts; the 59 before it are missed.
    assert.deepEqual(await slotsOf('minutely'), ['2026-11-24T13:03:00.000Z']);
    assert.equal(await store.scheduleRuns.missedSlots('kaylee', 'minutely'), 59);
    assert.deepEqual(await slotsOf('minutely-catching'), ['2026-11-24T13:03:00.000Z'], 'no catch-up beside the slot that started');
    assert.match(missedReportText('kaylee', reportsOf('minutely-catching')[0]!), /Not caught up: the latest slot started on time\./);
    assert.deepEqual(reports.map((r) => r.schedule.name).sort(), ['catching', 'minutely', 'minutely-catching', 'monitor'], 'one message each');
    assert.match(missedReportText('kaylee', reportsOf('monitor')[0]!), /missed 12 runs .* because the machine slept or its clock jumped: 2026-11-24 12:05 UTC … 2026-11-24 12:10 UTC \(2 runs\), 2026-11-24 12:15 UTC, …, /);
    await clock.advanceTo('2026-11-24T13:05:00Z');
    assert.deepEqual(await slotsOf('monitor'), ['2026-11-24T13:05:00.000Z'], 'then on time again');
    assert.equal(reports.length, 4);
  });

  it('a month asleep with a slot every second is bounded: ten records and one summary, one message', async () => {
    const secondly = { ...every5, name: 'secondly', cron: '* * * * * *', catchUp: true };
    start([secondly]);
    await clock.advanceTo('2026-11-24T12:03:31Z');
    const before = (await runs('secondly')).length;
    clock.jumpTo('2026-12-24T12:03:31.500Z');
    await clock.advanceTo('2026-12-24T12:03:32Z');
    const gap = (await runs('secondly')).filter((r) => r.missed);
    assert.equal(gap.length, 11, 'ten slots one by one and one summary');
    assert.deepEqual(gap.slice(0, 10).map((r) => r.due).reverse(), Array.from({ length: 10 }, (_, i) => new Date(Date.parse('2026-12-24T12:03:21Z') + i * 1000).toISOString()), 'the newest ten');
    const summary = gap[10]!;
    assert.deepEqual([summary.due, summary.through], ['2026-11-24T12:03:32.000Z', '2026-12-24T12:03:20.000Z'], 'the whole gap before the ten');
    assert.equal(summary.slots, MAX_COUNTED_SLOTS, 'counted up to the bound, not the 2.6 million slots');
    assert.equal(reportsOf('secondly').length, 1);
    assert.match(missedReportText('kaylee', reportsOf('secondly')[0]!), /missed over 100,0\d\d runs/);
    assert.ok(before >= 1);
    assert.deepEqual((await slotsOf('secondly')).slice(-2), ['2026-12-24T12:03:31.000Z', '2026-12-24T12:03:32.000Z'], 'the latest started on time, no catch-up needed');
  });

  it('two schedulers of one agent (a restart overlap, a second instance) create and record each slot once, and tell of a missed one once', async () => {
    start([every5, catching]);
    start([every5, catching]);
    await clock.advanceTo('2026-11-24T12:16:00Z');
    const on = ['2026-11-24T12:05:00.000Z', '2026-11-24T12:10:00.000Z', '2026-11-24T12:15:00.000Z'];
    assert.deepEqual(await slotsOf('monitor'), on);
    assert.equal((await runs('monitor')).length, 3);
    await stopAll();
    clock.jumpTo('2026-11-24T12:31:30Z');
    start([every5, catching]);
    start([every5, catching]);
    await clock.advanceTo('2026-11-24T12:31:31Z');
    assert.deepEqual((await runs('catching')).filter((r) => r.missed).map((r) => r.due).reverse(), ['2026-11-24T12:20:00.000Z', '2026-11-24T12:25:00.000Z', '2026-11-24T12:30:00.000Z']);
    assert.deepEqual(await slotsOf('catching'), [...on, '2026-11-24T12:30:00.000Z'], 'caught up once');
    assert.deepEqual(reports.map((r) => r.schedule.name).sort(), ['catching', 'monitor'], 'each told once, by one of the two');
    assert.equal(reports.flatMap((r) => r.runs).length, 6);
  });

  it('a store that refuses the task for a while: the slot is tried again, and runs once within its grace', async () => {
    let refusals = 0;
    const flaky: TaskQueue = {
      ...store.queue,
      enqueue: (o) => (refusals++ < 5 ? Promise.reject(new Error('database is locked')) : store.queue.enqueue(o)),
    };
    start([every5], flaky);
    await clock.advanceTo('2026-11-24T12:06:00Z');
    assert.equal(refusals, 6, 'five refused tries, then the schedule started over and the sixth went through');
    assert.ok(log.entries.some((e) => e.msg === 'schedule failed; restarting it in 5 s'));
    assert.deepEqual(await slotsOf(), ['2026-11-24T12:05:00.000Z']);
    assert.deepEqual((await runs('monitor')).map((r) => [r.due, r.missed]), [['2026-11-24T12:05:00.000Z', undefined]]);
    assert.equal(reports.length, 0);
    assert.equal((await store.queue.list({ limit: 10 })).filter((t) => t.idempotencyKey === slotKey('kaylee', 'monitor', new Date('2026-11-24T12:05:00Z'))).length, 1);
  });

  it('takes over the cursor an older version kept in memory', async () => {
    await store.memory.set('schedules', 'kaylee/catching', { until: '2026-11-24T11:58:00.000Z' }, { by: 'kaylee' });
    start([catching]);
    await clock.advanceTo('2026-11-24T12:03:31Z');
    assert.deepEqual((await runs('catching')).map((r) => r.due), ['2026-11-24T12:00:00.000Z'], 'the 12:00 slot was missed since');
    assert.deepEqual(await slotsOf('catching'), ['2026-11-24T12:00:00.000Z']);
    assert.equal(await store.scheduleRuns.cursor('kaylee', 'catching'), '2026-11-24T12:00:00.000Z');
  });
});
