/** The ScheduleRuns conformance suite: written once, run unchanged against every store backend. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAgentnetError } from '../../src/errors.ts';
import type { NewScheduleRun, ScheduleRun } from '../../src/store/index.ts';
import { collect, lines, spawnNode, waitFor } from '../helpers/util.ts';
import type { StoreCase, StoreHarness } from './queue.case.ts';

const WORKER = new URL('./store-worker.ts', import.meta.url).pathname;
const T0 = Date.parse('2026-11-24T12:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const slot = (minutes: number, over: Partial<NewScheduleRun> = {}): NewScheduleRun => ({ agent: 'kaylee', schedule: 'nightly', due: at(minutes), at: T0 + minutes * 60_000 + 5, ...over });
const dues = (runs: ScheduleRun[]) => runs.map((r) => r.due);

export function describeScheduleRuns(c: StoreCase): void {
  describe(`ScheduleRuns conformance: ${c.name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => (h = await c.create()));
    afterEach(async () => {
      await h.store.close();
      await h.cleanup();
    });
    const r = () => h.store.scheduleRuns;

    it('records a slot once: the first record wins, per agent and schedule', async () => {
      const first = await r().record(slot(0, { task: 'task-1' }));
      assert.equal(first.created, true);
      assert.deepEqual(first.run, { agent: 'kaylee', schedule: 'nightly', due: at(0), outcome: 'queued', slots: 1, task: 'task-1', recordedAt: new Date(T0 + 5).toISOString() });
      const again = await r().record(slot(0, { task: 'task-2', at: T0 + 9000 }));
      assert.deepEqual([again.created, again.run], [false, first.run], 'a second record of the slot changes nothing, not even the task');
      const missedAgain = await r().record(slot(0, { missed: 'down' }));
      assert.deepEqual([missedAgain.created, missedAgain.run.missed, missedAgain.run.outcome], [false, undefined, 'queued'], 'a slot that ran is not made missed');
      assert.equal((await r().record(slot(0, { agent: 'kaylee2', task: 'task-3' }))).created, true, 'another agent');
      assert.equal((await r().record(slot(0, { schedule: 'hourly', task: 'task-4' }))).created, true, 'another schedule');
      assert.equal((await r().list()).length, 3);
    });

    it('a missed slot has no task until it is caught up; the first task it gains stays', async () => {
      const missed = (await r().record(slot(5, { missed: 'down' }))).run;
      assert.deepEqual([missed.outcome, missed.missed, 'task' in missed], ['missed', 'down', false]);
      const caught = await r().record(slot(5, { task: 'task-catch' }));
      assert.deepEqual([caught.created, caught.run.outcome, caught.run.missed, caught.run.task], [false, 'queued', 'down', 'task-catch'], 'still a missed run, now with its catch-up task');
      const other = await r().record(slot(5, { task: 'task-other' }));
      assert.equal(other.run.task, 'task-catch');
    });

    it('follows the task: started at its first claim, running again on a retry, finished with its outcome', async () => {
      await r().record(slot(0, { task: 'task-1' }));
      const started = await r().started(slot(0), 'task-1', T0 + 1000);
      assert.deepEqual([started?.outcome, started?.startedAt], ['running', new Date(T0 + 1000).toISOString()]);
      await r().started(slot(0), 'task-1', T0 + 2000);
      assert.equal((await r().list())[0]!.startedAt, new Date(T0 + 1000).toISOString(), 'a second claim keeps the first start');
      const failed = await r().finished(slot(0), 'failure', T0 + 3000);
      assert.deepEqual([failed?.outcome, failed?.finishedAt], ['failure', new Date(T0 + 3000).toISOString()]);
      const retried = await r().started(slot(0), 'task-1', T0 + 4000);
      assert.deepEqual([retried?.outcome, 'finishedAt' in retried!], ['running', false], 'an operator retry runs it again');
      const done = await r().finished(slot(0), 'success', T0 + 5000);
      assert.deepEqual([done?.outcome, done?.startedAt, done?.finishedAt], ['success', new Date(T0 + 1000).toISOString(), new Date(T0 + 5000).toISOString()]);
      assert.equal(await r().started(slot(99), 'task-x'), undefined, 'a slot without a record');
      assert.equal(await r().finished(slot(99), 'success'), undefined);
      assert.equal((await r().list()).length, 1, 'nothing recorded by started/finished alone');
    });

    it('a missed slot whose task runs anyway (made before a crash) gains the task when it starts', async () => {
      await r().record(slot(0, { missed: 'down' }));
      const started = await r().started(slot(0), 'task-made', T0 + 1000);
      assert.deepEqual([started?.task, started?.outcome, started?.missed], ['task-made', 'running', 'down']);
      const done = await r().finished(slot(0), 'not-run', T0 + 2000);
      assert.equal(done?.outcome, 'not-run');
    });

    it('a task claimed before its slot was recorded (left from before a crash) gains the task when it finishes, and keeps a task it has', async () => {
      await r().record(slot(0, { missed: 'down' }));
      const done = await r().finished(slot(0), 'success', T0 + 2000, 'task-early');
      assert.deepEqual([done?.task, done?.outcome, done?.missed], ['task-early', 'success', 'down']);
      const again = await r().finished(slot(0), 'failure', T0 + 3000, 'task-other');
      assert.equal(again?.task, 'task-early', 'the first task stays');
    });

    it('summarises a long gap in one record of several slots', async () => {
      const { run } = await r().record(slot(0, { missed: 'late', slots: 43_190, through: at(43_189) }));
      assert.deepEqual([run.slots, run.through, run.missed, run.outcome], [43_190, at(43_189), 'late', 'missed']);
      for (const m of [43_190, 43_191]) await r().record(slot(m, { missed: 'late' }));
      assert.equal(await r().missedSlots('kaylee', 'nightly'), 43_192);
      await r().record(slot(43_192, { task: 't' }));
      assert.equal(await r().missedSlots('kaylee', 'nightly'), 43_192, 'a run is not missed');
      assert.equal(await r().missedSlots('kaylee', 'other'), 0);
    });

    it('rejects a run without agent, schedule or time, an unknown reason, or a summary that is not one', async () => {
      const bad: NewScheduleRun[] = [
        slot(0, { agent: '' }),
        slot(0, { schedule: '' }),
        slot(0, { due: 'yesterday' }),
        slot(0, { missed: 'asleep' as never }),
        slot(0, { slots: 0 }),
        slot(0, { slots: 3, through: at(2) }),
        slot(0, { missed: 'late', slots: 3 }),
        slot(5, { missed: 'late', slots: 3, through: at(1) }),
      ];
      for (const b of bad) await assert.rejects(r().record(b), (e) => isAgentnetError(e, 'USAGE'), JSON.stringify(b));
      await assert.rejects(r().advance('kaylee', 'nightly', 'soon'), (e) => isAgentnetError(e, 'USAGE'));
      assert.deepEqual(await r().list(), []);
    });

    it('hands each missed run to one claim, oldest first, and marks it told', async () => {
      await r().record(slot(10, { missed: 'paused' }));
      await r().record(slot(0, { missed: 'down', slots: 2, through: at(5) }));
      await r().record(slot(15, { task: 'on-time' }));
      await r().record(slot(20, { missed: 'late' }));
      await r().record(slot(20, { task: 'caught-up' }));
      await r().record(slot(0, { schedule: 'other', missed: 'down' }));
      const claimed = await r().claimMissed('kaylee', 'nightly', T0 + 99_000_000);
      assert.deepEqual(dues(claimed), [at(0), at(10), at(20)], 'the missed ones, caught up or not, not the run on time');
      assert.ok(claimed.every((x) => x.reportedAt === new Date(T0 + 99_000_000).toISOString()));
      assert.deepEqual(await r().claimMissed('kaylee', 'nightly'), [], 'each once');
      await r().record(slot(25, { missed: 'late' }));
      assert.deepEqual(dues(await r().claimMissed('kaylee', 'nightly')), [at(25)], 'only the new one');
      assert.deepEqual(dues(await r().claimMissed('kaylee', 'other')), [at(0)]);
    });

    it('lists the newest first, by agent, schedule, missed or ran, up to a limit', async () => {
      await r().record(slot(0, { task: 'a' }));
      await r().record(slot(5, { missed: 'down' }));
      await r().record(slot(10, { missed: 'late', task: 'b' }));
      await r().record(slot(15, { schedule: 'hourly', task: 'c' }));
      await r().record(slot(20, { agent: 'kaylee2', missed: 'paused' }));
      assert.deepEqual(dues(await r().list()), [at(20), at(15), at(10), at(5), at(0)]);
      assert.deepEqual(dues(await r().list({ agent: 'kaylee', schedule: 'nightly' })), [at(10), at(5), at(0)]);
      assert.deepEqual(dues(await r().list({ agent: 'kaylee', schedule: 'nightly', missed: true })), [at(10), at(5)]);
      assert.deepEqual(dues(await r().list({ agent: 'kaylee', schedule: 'nightly', missed: false })), [at(0)]);
      assert.deepEqual(dues(await r().list({ agent: 'kaylee', schedule: 'nightly', ran: true })), [at(10), at(0)]);
      assert.deepEqual(dues(await r().list({ schedule: 'nightly', limit: 2 })), [at(20), at(10)]);
    });

    it('keeps each schedule\'s cursor: absent before the first start, moved forward, never back', async () => {
      assert.equal(await r().cursor('kaylee', 'nightly'), undefined);
      assert.equal(await r().advance('kaylee', 'nightly', at(5)), at(5));
      assert.equal(await r().advance('kaylee', 'nightly', at(10)), at(10));
      assert.equal(await r().advance('kaylee', 'nightly', at(7)), at(10), 'a slower scheduler does not move it back');
      assert.equal(await r().cursor('kaylee', 'nightly'), at(10));
      assert.equal(await r().cursor('kaylee', 'hourly'), undefined);
      assert.equal(await r().cursor('kaylee2', 'nightly'), undefined);
    });

    it('uses the store clock when given no time', async () => {
      const before = Date.now();
      h.advance(3_600_000);
      const { run } = await r().record({ agent: 'kaylee', schedule: 'nightly', due: at(0), missed: 'down' });
      assert.ok(Date.parse(run.recordedAt) >= before + 3_600_000, run.recordedAt);
      const [claimed] = await r().claimMissed('kaylee', 'nightly');
      assert.ok(Date.parse(claimed!.reportedAt!) >= before + 3_600_000);
    });

    it('two processes recording the same slots at once: one record each, created once, each missed run claimed by one', async () => {
      const slots = Array.from({ length: 30 }, (_, i) => at(i));
      const race = async (options: object) => {
        const children = [0, 1].map(() => spawnNode([WORKER, JSON.stringify(h.spec), 'runs', JSON.stringify({ dues: slots, agent: 'kaylee', schedule: 'nightly', ...options })]));
        const outs = children.map((child) => lines(child));
        const done = children.map((child) => collect(child));
        await waitFor(() => outs.every((o) => o.includes('ready')), 'both schedulers to open the store');
        for (const child of children) child.stdin!.end('go\n');
        for (const res of await Promise.all(done)) assert.equal(res.code, 0, res.stderr);
        return outs.flat().filter((l) => l !== 'ready');
      };
      const out = await race({});
      for (const due of slots) assert.deepEqual(out.filter((l) => l.startsWith(`${due} `)).map((l) => l.split(' ')[1]).sort(), ['false', 'true'], `${due} created once`);
      const claimed = out.filter((l) => l.startsWith('claimed ')).map((l) => l.slice(8));
      assert.deepEqual([...claimed].sort(), slots, 'every missed run claimed, none twice');
      const runs = await r().list({ limit: 1000 });
      assert.equal(runs.length, slots.length);
      assert.ok(runs.every((x) => x.reportedAt && x.outcome === 'missed'));
      // Both catch the same slots up at once: each gains one task.
      const caught = await race({ task: 'catch' });
      assert.equal(caught.filter((l) => l.endsWith(' true')).length, 0);
      assert.ok((await r().list({ limit: 1000 })).every((x) => x.task === `catch-${x.due}` && x.outcome === 'queued'));
    });
  });
}
