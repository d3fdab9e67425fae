/** Schedules: each cron slot becomes one task, at its minute and time zone, once, on a real SQLite store and a clock the test moves. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { startScheduler, type ScheduleConfig, type Scheduler } from '../../src/tasks/scheduler.ts';
import { createSqliteStore, type Store } from '../../src/store/index.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { tempDir } from '../helpers/util.ts';

const every5: ScheduleConfig = { name: 'monitor', cron: '*/5 * * * *', task: 'monitor', catchUp: false };
const daily9: ScheduleConfig = { name: 'review', cron: '0 9 * * *', timezone: 'Asia/Jerusalem', task: 'code-review', payload: { review: 'app' }, catchUp: false };

describe('scheduler', () => {
  let dir: string;
  let cleanup: () => void;
  let store: Store;
  let clock: FakeClock;
  let paused = false;
  const log = createMemoryLogger();
  const running: Scheduler[] = [];
  const start = (schedules: ScheduleConfig[]) => {
    const s = startScheduler({ agent: 'kaylee', schedules, queue: store.queue, memory: store.memory, logger: log, clock, maxAttempts: (k) => (k === 'monitor' ? 1 : 3), paused: () => paused });
    running.push(s);
    return s;
  };
  const stopAll = async () => {
    for (const s of running.splice(0)) await s.stop();
  };
  const slots = async (kind?: string) => (await store.queue.list(kind ? { kind } : {})).map((t) => (t.payload as { slot: string }).slot);

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('agentnet-sched-'));
    store = createSqliteStore({ path: join(dir, 'store.db') });
    clock = new FakeClock('2026-11-24T12:03:30Z');
    paused = false;
    log.entries.length = 0;
  });
  afterEach(async () => {
    await stopAll();
    await store.close();
    cleanup();
  });

  it('creates one task per slot, at its minute, in the schedule\'s time zone', async () => {
    const s = start([every5, daily9]);
    await clock.advanceTo('2026-11-24T12:04:59.999Z');
    assert.deepEqual(await slots(), [], 'nothing before the first slot');
    assert.deepEqual(s.next(), { monitor: '2026-11-24T12:05:00.000Z', review: '2026-11-25T07:00:00.000Z' }, '09:00 in Jerusalem is 07:00 UTC in November');
    await clock.advanceTo('2026-11-24T12:05:00Z');
    assert.deepEqual(await slots(), ['2026-11-24T12:05:00.000Z']);
    const [task] = await store.queue.list();
    assert.equal(task!.kind, 'monitor');
    assert.equal(task!.maxAttempts, 1);
    assert.equal(task!.idempotencyKey, 'schedule:kaylee:monitor:2026-11-24T12:05:00.000Z');
    assert.deepEqual(task!.payload, { schedule: 'monitor', slot: '2026-11-24T12:05:00.000Z' });
    await clock.advanceTo('2026-11-24T12:14:59Z');
    assert.equal((await slots('monitor')).length, 2);
    await clock.advanceTo('2026-11-25T06:59:59Z');
    assert.deepEqual(await slots('code-review'), [], 'not before 09:00 local');
    await clock.advanceTo('2026-11-25T07:00:00Z');
    const [review] = await store.queue.list({ kind: 'code-review' });
    assert.deepEqual(review!.payload, { review: 'app', schedule: 'review', slot: '2026-11-25T07:00:00.000Z' });
    // 12:05 .. 07:00 next day, every 5 minutes: each slot exactly once.
    const monitor = await slots('monitor');
    assert.equal(monitor.length, 228);
    assert.equal(new Set(monitor).size, monitor.length);
  });

  it('two schedulers of one agent (a restart overlap, a second instance) create each slot once', async () => {
    start([every5]);
    start([every5]);
    await clock.advanceTo('2026-11-24T12:16:00Z');
    assert.deepEqual(await slots(), ['2026-11-24T12:05:00.000Z', '2026-11-24T12:10:00.000Z', '2026-11-24T12:15:00.000Z']);
  });

  it('runs the latest slot missed while down once at start when catchUp is set; never on a first start', async () => {
    const catching = { ...every5, name: 'catching', catchUp: true };
    start([every5, catching]);
    assert.deepEqual(await slots(), [], 'a first start catches nothing up');
    await clock.advanceTo('2026-11-24T12:06:00Z');
    await stopAll();
    assert.equal((await slots()).length, 2);
    // Down from 12:06 to 12:23: the 12:10, 12:15 and 12:20 slots were missed.
    clock.jumpTo('2026-11-24T12:23:00Z');
    start([every5, catching]);
    await clock.advanceTo('2026-11-24T12:23:01Z');
    assert.deepEqual(await slots('monitor'), ['2026-11-24T12:05:00.000Z', '2026-11-24T12:05:00.000Z', '2026-11-24T12:20:00.000Z']);
    const caught = (await store.queue.list()).filter((t) => (t.payload as { schedule: string }).schedule === 'catching').map((t) => (t.payload as { slot: string }).slot);
    assert.deepEqual(caught, ['2026-11-24T12:05:00.000Z', '2026-11-24T12:20:00.000Z'], 'only the catching schedule, only its latest missed slot');
    await stopAll();
    start([every5, catching]); // restarted again: nothing new was missed
    await clock.advanceTo('2026-11-24T12:24:00Z');
    assert.equal((await slots()).length, 3);
  });

  it('skips slots while the network is paused, and after a long sleep runs only the latest slot', async () => {
    start([every5]);
    paused = true;
    await clock.advanceTo('2026-11-24T12:05:30Z');
    assert.deepEqual(await slots(), [], 'paused: no task for 12:05');
    assert.ok(log.entries.some((e) => e.msg === 'paused: slot skipped'));
    paused = false;
    // The machine slept through 12:10 .. 12:30.
    clock.jumpTo('2026-11-24T12:31:00Z');
    await clock.advanceTo('2026-11-24T12:32:00Z');
    assert.deepEqual(await slots(), ['2026-11-24T12:30:00.000Z']);
    assert.ok(log.entries.some((e) => e.msg === 'woke late: earlier slots skipped' && e.skipped === 4));
  });
});
