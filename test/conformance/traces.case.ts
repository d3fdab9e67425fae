/** The trace hops conformance suite: written once, run unchanged against every store backend. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newTraceId } from '../../src/bridge/index.ts';
import type { TraceHop } from '../../src/store/index.ts';
import type { StoreCase, StoreHarness } from './queue.case.ts';

export function describeTraces(c: StoreCase): void {
  describe(`Traces conformance: ${c.name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => (h = await c.create()));
    afterEach(async () => {
      await h.store.close();
      await h.cleanup();
    });
    const t = () => h.store.traces;
    const hop = (trace: string, name: string, ref: string, at: number, detail?: TraceHop['detail']): TraceHop => ({ trace, hop: name, ref, agent: 'kami', at, ...(detail ? { detail } : {}) });

    it('gives a trace back in time order, with its details, and finds it by any ref in it', async () => {
      const a = newTraceId();
      const b = newTraceId();
      const t0 = Date.now();
      await t().record([hop(a, 'received', 'chat_1', t0), hop(a, 'escalated', 'kami-1-x', t0 + 5, { to: 'claude' })]);
      await t().record([hop(b, 'received', 'chat_2', t0 + 1)]);
      // Recorded later by another process, but earlier in time: the time decides.
      await t().record([hop(a, 'recorded', 'chat_1', t0 + 2), hop(a, 'model-finished', 'kami-1-x#1', t0 + 9, { inputTokens: 120, model: 'offline' })]);
      await t().record([hop(b, 'task-enqueued', 'task-9', t0 + 3), hop(b, 'sent', 'PROVIDER-1', t0 + 4), hop(b, 'answered', 'claude-2-y', t0 + 5)]);
      const got = await t().hops(a);
      assert.deepEqual(got.map((x) => x.hop), ['received', 'recorded', 'escalated', 'model-finished']);
      assert.deepEqual(got[2], { trace: a, hop: 'escalated', ref: 'kami-1-x', agent: 'kami', at: t0 + 5, detail: { to: 'claude' } });
      assert.deepEqual(got[3]!.detail, { inputTokens: 120, model: 'offline' }, 'numbers stay numbers');
      assert.equal(got[0]!.detail, undefined);
      assert.equal(await t().traceOf('kami-1-x'), a);
      assert.equal(await t().traceOf('chat_2'), b);
      for (const ref of ['task-9', 'PROVIDER-1', 'claude-2-y']) assert.equal(await t().traceOf(ref), b, ref);
      assert.equal(await t().traceOf('nobody'), undefined);
      assert.equal(await t().traceOf('kami-1-x#1'), undefined, 'a model call is not what a trace is looked up by');
      assert.deepEqual(await t().hops(newTraceId()), []);
    });

    it('keeps the first record of a hop recorded twice (a redelivery, a restart), in one batch or two', async () => {
      const a = newTraceId();
      const t0 = Date.now();
      await t().record([hop(a, 'claimed', 'm1', t0, { by: 'first' }), hop(a, 'claimed', 'm1', t0 + 50, { by: 'same batch' })]);
      await t().record([hop(a, 'claimed', 'm1', t0 + 100, { by: 'after a restart' }), hop(a, 'claimed', 'm2', t0 + 100)]);
      const got = await t().hops(a);
      assert.deepEqual(got.map((x) => [x.ref, x.at, x.detail?.by]), [['m1', t0, 'first'], ['m2', t0 + 100, undefined]]);
      await t().record([]);
    });

    it('ties in time keep the order they were recorded in; prune forgets only the old hops', async () => {
      const a = newTraceId();
      const t0 = Date.now();
      await t().record(['received', 'recorded', 'acknowledged', 'escalated'].map((n) => hop(a, n, 'k', t0)));
      assert.deepEqual((await t().hops(a)).map((x) => x.hop), ['received', 'recorded', 'acknowledged', 'escalated']);
      const old = newTraceId();
      await t().record([hop(old, 'received', 'old', t0 - 40 * 86_400_000)]);
      assert.equal(await t().prune(t0 - 30 * 86_400_000), 1);
      assert.deepEqual(await t().hops(old), []);
      assert.equal(await t().traceOf('old'), undefined);
      assert.equal((await t().hops(a)).length, 4);
    });

    it('records hundreds of hops in one batch, and refs with any characters', async () => {
      const a = newTraceId();
      const t0 = Date.now();
      const odd = "972500000001@c.us_3EB0'; DROP TABLE trace_hops; --\u{1F600}";
      await t().record(Array.from({ length: 600 }, (_, i) => hop(a, 'sent', `${odd}#${i}`, t0 + i)));
      const got = await t().hops(a);
      assert.equal(got.length, 600);
      assert.equal(got[599]!.ref, `${odd}#599`);
      assert.equal(await t().traceOf(`${odd}#7`), a);
    });
  });
}
