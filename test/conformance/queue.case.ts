/** The TaskQueue conformance suite: written once, run unchanged against every store backend. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAgentnetError } from '../../src/errors.ts';
import { LOST_ON_LAST_ATTEMPT } from '../../src/store/index.ts';
import type { Store, StoreSpec } from '../../src/store/index.ts';
import { lines, runNode, spawnNode, waitFor } from '../helpers/util.ts';

const WORKER = new URL('./store-worker.ts', import.meta.url).pathname;

export interface StoreHarness {
  store: Store;
  /** Opens the same store from a child process. */
  spec: StoreSpec;
  /** Moves the store's clock forward. */
  advance(ms: number): void;
  cleanup(): Promise<void>;
}

export interface StoreCase {
  name: string;
  create(): Promise<StoreHarness>;
}

export function describeTaskQueue(c: StoreCase): void {
  describe(`TaskQueue conformance: ${c.name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => (h = await c.create()));
    afterEach(async () => {
      await h.store.close();
      await h.cleanup();
    });
    const q = () => h.store.queue;

    it('enqueues, and an idempotency key returns the first task', async () => {
      const t = await q().enqueue({ kind: 'deploy', payload: { env: 'staging' }, idempotencyKey: 'deploy-2026-11-24' });
      assert.equal(t.state, 'queued');
      assert.equal(t.attempts, 0);
      assert.equal(t.maxAttempts, 3);
      assert.deepEqual(t.payload, { env: 'staging' });
      const again = await q().enqueue({ kind: 'deploy', payload: { env: 'prod' }, idempotencyKey: 'deploy-2026-11-24' });
      assert.equal(again.id, t.id);
      assert.deepEqual(again.payload, { env: 'staging' });
      assert.equal((await q().list()).length, 1);
    });

    it('claims by priority, then run-at order; never before run-at; filters by kind', async () => {
      const low = await q().enqueue({ kind: 'a', priority: 0 });
      const high = await q().enqueue({ kind: 'a', priority: 5 });
      const later = await q().enqueue({ kind: 'a', priority: 9, runAt: new Date(Date.now() + 60_000) });
      const other = await q().enqueue({ kind: 'b', priority: 1 });
      assert.equal((await q().claim({ worker: 'w', leaseMs: 1000, kinds: ['b'] }))?.id, other.id);
      assert.equal((await q().claim({ worker: 'w', leaseMs: 1000 }))?.id, high.id);
      assert.equal((await q().claim({ worker: 'w', leaseMs: 1000 }))?.id, low.id);
      assert.equal(await q().claim({ worker: 'w', leaseMs: 1000 }), undefined, 'not before its run-at');
      h.advance(61_000);
      assert.equal((await q().claim({ worker: 'w', leaseMs: 1000 }))?.id, later.id);
    });

    it('completes with a result; a worker that lost its lease cannot report', async () => {
      const t = await q().enqueue({ kind: 'a' });
      const claimed = (await q().claim({ worker: 'w1', leaseMs: 1000 }))!;
      assert.equal(claimed.state, 'running');
      assert.equal(claimed.worker, 'w1');
      assert.equal(claimed.attempts, 1);
      assert.equal(await q().heartbeat(t.id, 'w1', 1000), true);
      await assert.rejects(q().complete(t.id, 'w2', 'x'), (e) => isAgentnetError(e, 'TASK_LEASE_LOST'));
      const done = await q().complete(t.id, 'w1', { ok: true });
      assert.equal(done.state, 'done');
      assert.deepEqual(done.result, { ok: true });
      assert.equal(await q().heartbeat(t.id, 'w1', 1000), false);
    });

    it('reclaims a task whose lease ran out, and the old worker then cannot complete it', async () => {
      const t = await q().enqueue({ kind: 'a' });
      await q().claim({ worker: 'dead-worker', leaseMs: 1000 });
      assert.equal(await q().claim({ worker: 'w2', leaseMs: 1000 }), undefined, 'leased');
      h.advance(1500);
      const again = (await q().claim({ worker: 'w2', leaseMs: 1000 }))!;
      assert.equal(again.id, t.id);
      assert.equal(again.attempts, 2);
      await assert.rejects(q().complete(t.id, 'dead-worker'), (e) => isAgentnetError(e, 'TASK_LEASE_LOST'));
      assert.equal((await q().complete(t.id, 'w2')).state, 'done');
    });

    it('dead-letters a task whose worker was lost on its last attempt, saying so', async () => {
      const t = await q().enqueue({ kind: 'a', maxAttempts: 2 });
      await q().claim({ worker: 'w1', leaseMs: 60_000 });
      await q().fail(t.id, 'w1', 'timeout talking to the API');
      h.advance(120_000); // past the back-off
      await q().claim({ worker: 'vanished', leaseMs: 1000 });
      h.advance(1500);
      assert.equal(await q().claim({ worker: 'w2', leaseMs: 1000 }), undefined);
      const dead = (await q().get(t.id))!;
      assert.equal(dead.state, 'dead');
      assert.ok(dead.lastError?.startsWith(LOST_ON_LAST_ATTEMPT), dead.lastError);
      assert.match(dead.lastError!, /timeout talking to the API/, 'the earlier error is kept');
    });

    it('a released task is queued again at once, its attempt not counted', async () => {
      const t = await q().enqueue({ kind: 'a', maxAttempts: 1 });
      await q().claim({ worker: 'w1', leaseMs: 60_000 });
      await assert.rejects(q().release(t.id, 'w2'), (e) => isAgentnetError(e, 'TASK_LEASE_LOST'));
      const released = await q().release(t.id, 'w1');
      assert.equal(released.state, 'queued');
      assert.equal(released.attempts, 0);
      assert.equal(released.worker, undefined);
      const again = (await q().claim({ worker: 'w2', leaseMs: 1000 }))!;
      assert.equal(again.id, t.id, 'claimable at once, without waiting for the lease');
      assert.equal(again.attempts, 1);
      assert.equal((await q().complete(t.id, 'w2')).state, 'done', 'its only attempt was not used up by the release');
    });

    it('a task released with a delay is not claimed before the delay is over, its attempt not counted', async () => {
      const t = await q().enqueue({ kind: 'a', maxAttempts: 1 });
      await q().claim({ worker: 'w1', leaseMs: 60_000 });
      const released = await q().release(t.id, 'w1', { delayMs: 5000 });
      assert.equal(released.state, 'queued');
      assert.equal(released.attempts, 0);
      assert.equal(await q().claim({ worker: 'w2', leaseMs: 1000 }), undefined, 'not before its delay');
      h.advance(5000);
      const again = (await q().claim({ worker: 'w2', leaseMs: 1000 }))!;
      assert.equal(again.id, t.id);
      assert.equal(again.attempts, 1);
    });

    it('fails with exponential back-off, then dead-letters after the last attempt', async () => {
      const t = await q().enqueue({ kind: 'a', maxAttempts: 3 });
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const c = await q().claim({ worker: 'w', leaseMs: 1000 });
        assert.equal(c?.id, t.id, `attempt ${attempt}`);
        const failed = await q().fail(t.id, 'w', `boom ${attempt}`);
        if (attempt < 3) {
          assert.equal(failed.state, 'queued');
          const wait = Date.parse(failed.runAt) - Date.parse(failed.updatedAt);
          delays.push(wait);
          assert.equal(await q().claim({ worker: 'w', leaseMs: 1000 }), undefined, 'backing off');
          h.advance(wait + 1);
        } else {
          assert.equal(failed.state, 'dead');
          assert.equal(failed.lastError, 'boom 3');
        }
      }
      // Back-off 1 s then 2 s, each with ±50 % jitter.
      assert.ok(delays[0]! >= 500 && delays[0]! <= 1500, `first wait ${delays[0]} ms`);
      assert.ok(delays[1]! >= 1000 && delays[1]! <= 3000, `second wait ${delays[1]} ms`);
      assert.equal((await q().stats()).dead, 1);
    });

    it('lets an operator retry a dead task and cancel a queued one', async () => {
      const t = await q().enqueue({ kind: 'a', maxAttempts: 1 });
      await q().claim({ worker: 'w', leaseMs: 1000 });
      assert.equal((await q().fail(t.id, 'w', 'nope')).state, 'dead');
      await assert.rejects(q().cancel(t.id), (e) => isAgentnetError(e, 'TASK_STATE'));
      const retried = await q().retry(t.id);
      assert.deepEqual([retried.state, retried.attempts], ['queued', 0]);
      await assert.rejects(q().retry(t.id), (e) => isAgentnetError(e, 'TASK_STATE'));
      assert.equal((await q().cancel(t.id)).state, 'cancelled');
      assert.equal(await q().claim({ worker: 'w', leaseMs: 1000 }), undefined);
      await assert.rejects(q().get('task-none').then((x) => q().retry(x?.id ?? 'task-none')), (e) => isAgentnetError(e, 'TASK_NOT_FOUND'));
    });

    it('lists newest N by state and kind, and counts by state', async () => {
      for (let i = 0; i < 5; i++) await q().enqueue({ kind: i % 2 ? 'odd' : 'even', payload: i });
      await q().claim({ worker: 'w', leaseMs: 1000 });
      assert.deepEqual((await q().list({ kind: 'odd' })).map((t) => t.payload), [1, 3]);
      assert.deepEqual((await q().list({ limit: 2 })).map((t) => t.payload), [3, 4]);
      assert.deepEqual((await q().list({ state: 'running' })).map((t) => t.payload), [0]);
      const s = await q().stats();
      assert.deepEqual([s.queued, s.running, s.done], [4, 1, 0]);
    });

    it('claims a batch in claim order and completes it in one step; a task lost meanwhile is reported, not thrown', async () => {
      const low = await q().enqueue({ kind: 'job', payload: 'low' });
      const high = await q().enqueue({ kind: 'job', payload: 'high', priority: 5 });
      const other = await q().enqueue({ kind: 'other', payload: 'x' });
      const third = await q().enqueue({ kind: 'job', payload: 'third' });
      const batch = await q().claimBatch({ worker: 'w1', kinds: ['job'], leaseMs: 1000, max: 2 });
      assert.deepEqual(batch.map((t) => t.id), [high.id, low.id], 'priority first, then oldest');
      assert.ok(batch.every((t) => t.state === 'running' && t.worker === 'w1' && t.attempts === 1));
      const rest = await q().claimBatch({ worker: 'w2', leaseMs: 1000, max: 10 });
      assert.deepEqual(rest.map((t) => t.id).sort(), [other.id, third.id].sort(), 'nothing claimed twice');
      assert.deepEqual(await q().claimBatch({ worker: 'w3', leaseMs: 1000, max: 10 }), []);
      await q().cancel(low.id);
      const r = await q().completeBatch('w1', [{ id: high.id, result: 'ok' }, { id: low.id, result: 'late' }]);
      assert.deepEqual(r.completed.map((t) => [t.id, t.state, t.result]), [[high.id, 'done', 'ok']]);
      assert.deepEqual(r.lost, [low.id]);
      assert.equal((await q().get(low.id))!.state, 'cancelled');
      await assert.rejects(q().claimBatch({ worker: 'w1', leaseMs: 1000, max: 0 }), (e) => isAgentnetError(e, 'USAGE'));
    });

    for (const batch of [0, 16]) it(`never gives one task to two worker processes${batch ? ` (claiming batches of ${batch})` : ''}`, async () => {
      const n = 300;
      for (let i = 0; i < n; i++) await q().enqueue({ kind: 'job', payload: i });
      const runs = await Promise.all(
        Array.from({ length: 4 }, (_, w) => runNode([WORKER, JSON.stringify(h.spec), 'work', JSON.stringify({ worker: `w${w}`, leaseMs: 30_000, ...(batch ? { batch } : {}) })])),
      );
      const claimed: string[] = [];
      for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        claimed.push(...r.stdout.split('\n').filter((l) => l.startsWith('claimed ')).map((l) => l.slice(8)));
      }
      assert.equal(claimed.length, n, 'every task claimed once');
      assert.equal(new Set(claimed).size, n, 'no task claimed twice');
      assert.equal((await q().stats()).done, n);
    });

    it('a task whose worker process was killed is reclaimed and finished by another', async () => {
      const t = await q().enqueue({ kind: 'job', payload: { hang: true }, maxAttempts: 3 });
      const child = spawnNode([WORKER, JSON.stringify(h.spec), 'work', JSON.stringify({ worker: 'doomed', leaseMs: 200, idleExitMs: 60_000 })]);
      const out = lines(child);
      await waitFor(() => out.includes(`claimed ${t.id}`), 'the doomed worker to take it');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      h.advance(250);
      const again = (await q().claim({ worker: 'survivor', leaseMs: 1000 }))!;
      assert.equal(again.id, t.id);
      assert.equal(again.attempts, 2);
      assert.equal((await q().complete(t.id, 'survivor', 'finished')).state, 'done');
    });
  });
}
