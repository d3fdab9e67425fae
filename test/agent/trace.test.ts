/**
 * Traces in one process: the tracer's buffer and its failures, the traced bridge, queue and
 * model, the timeline read back (complete, or where it stopped) and finding a trace by any id.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildTimeline, findTrace } from '../../src/agent/timeline.ts';
import { runTask, tracedBridge, tracedModel, tracedQueue } from '../../src/agent/traced.ts';
import { createTracer, HOPS, type Tracer } from '../../src/agent/tracer.ts';
import { FINDABLE_HOPS } from '../../src/store/traces.ts';
import { createJsonlBridge, isTraceId, newTraceId, replyFields, statusRecord, traceIdFrom, traceOf, type Bridge } from '../../src/bridge/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import type { Model } from '../../src/models/model.ts';
import { createSqliteStore, type Store, type TraceHop, type Traces } from '../../src/store/index.ts';
import { tempDir, waitFor } from '../helpers/util.ts';

const ROLES: Record<string, string> = { kami: 'relay', claude: 'orchestrator', kaylee: 'autonomous' };
const roleOf = (a: string) => ROLES[a];
const AGENTS = new Set(Object.keys(ROLES));

describe('trace ids on bridge messages', () => {
  it('a message without one gets the one its id gives, the same every time (any agent, any restart)', () => {
    const seed = { id: 'kami-1700000000000-abc123', metadata: { whatsapp_sender: '972500000000@c.us' } };
    assert.equal(traceOf(seed), traceOf({ ...seed }));
    assert.equal(traceOf(seed), traceIdFrom('message:kami-1700000000000-abc123'));
    assert.ok(isTraceId(traceOf(seed)));
    assert.notEqual(traceOf(seed), traceOf({ id: 'kami-1700000000000-abc124' }));
    const given = newTraceId();
    assert.equal(traceOf({ id: 'x', metadata: { trace: given } }), given);
    for (const bad of ['', 'ABCDEF0123456789abcdef0123456789', '0'.repeat(32), 42, { a: 1 }, given + '0']) {
      assert.equal(traceOf({ id: 'x', metadata: { trace: bad } }), traceIdFrom('message:x'), `${JSON.stringify(bad)} is not a trace id`);
    }
  });

  it('a reply carries its request\'s trace, derived or given; a cut status record keeps it', () => {
    const msg = { ts: new Date().toISOString(), from: 'kami', type: 'request' as const, id: 'kami-1-a', content: 'x', status: 'pending' as const };
    assert.equal(replyFields(msg).metadata?.trace, traceIdFrom('message:kami-1-a'));
    const trace = newTraceId();
    const huge = { ...msg, content: 'y'.repeat(1_100_000), metadata: { chat: 'c', trace } };
    const cut = statusRecord(huge, 'done');
    assert.match(String(cut.metadata?.quarantined), /bytes/);
    assert.equal(replyFields(cut).metadata?.trace, trace, 'the failure notice of a message too large to write again stays in its trace');
  });
});

it("the hops a trace is found by are hops the tracer records", () => {
  for (const h of FINDABLE_HOPS) assert.ok(Object.hasOwn(HOPS, h), h);
});

describe('the tracer', () => {
  let dir: string;
  let cleanup: () => void;
  let store: Store;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('agentnet-trace-'));
    store = createSqliteStore({ path: join(dir, 'store.db') });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('records hops shortly after, in one batch, never making the caller wait', async () => {
    const writes: number[] = [];
    const traces: Traces = {
      ...store.traces,
      record: async (h) => {
        writes.push(h.length);
        await store.traces.record(h);
      },
    };
    const tracer = createTracer({ agent: 'kami', traces, logger: createMemoryLogger() });
    const t = newTraceId();
    for (let i = 0; i < 50; i++) tracer.hop(t, 'queued', `k${i}`);
    assert.deepEqual(writes, [], 'nothing written synchronously');
    await waitFor(async () => (await store.traces.hops(t)).length === 50, 'the batch written');
    assert.deepEqual(writes, [50]);
    assert.equal(await tracer.traceOfRef('k7'), t, 'a recent ref from memory');
  });

  it('a store that refuses hops costs the hops, never the message: logged once, later hops recorded again', async () => {
    let failing = true;
    const traces: Traces = { ...store.traces, record: async (h) => (failing ? Promise.reject(new Error('database is locked')) : store.traces.record(h)) };
    const logger = createMemoryLogger();
    const tracer = createTracer({ agent: 'kami', traces, logger });
    const t = newTraceId();
    tracer.hop(t, 'received', 'a');
    await tracer.flush();
    tracer.hop(t, 'recorded', 'a');
    await tracer.flush();
    assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 1, 'one warning, not one per hop');
    failing = false;
    tracer.hop(t, 'handled', 'a');
    await tracer.flush();
    assert.deepEqual((await store.traces.hops(t)).map((h) => h.hop), ['handled']);
  });

  it('holds at most maxBuffered hops while the store does not answer, then drops with a warning', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const traces: Traces = { ...store.traces, record: async (h) => stuck.then(() => store.traces.record(h)) };
    const logger = createMemoryLogger();
    const tracer = createTracer({ agent: 'kami', traces, logger, maxBuffered: 10 });
    const t = newTraceId();
    tracer.hop(t, 'sent', 'first');
    const writing = tracer.flush(); // takes `first` and waits on the store
    for (let i = 0; i < 25; i++) tracer.hop(t, 'sent', `p${i}`);
    assert.ok(logger.entries.some((e) => /dropped/.test(String(e.msg))), 'the drop is logged');
    release();
    await writing;
    await tracer.flush();
    assert.equal((await store.traces.hops(t)).length, 11, 'the first, and the ten the buffer held');
  });

  describe('traced bridge, queue and model', () => {
    let bridge: Bridge;
    let tracer: Tracer;
    beforeEach(() => {
      bridge = createJsonlBridge({ path: join(dir, 'bridge', 'messages.jsonl') });
      tracer = createTracer({ agent: 'kami', traces: store.traces, logger: createMemoryLogger() });
    });
    afterEach(() => bridge.close());

    it('an append outside any request starts a trace; inside one it joins it; a message naming one keeps it', async () => {
      const b = tracedBridge(bridge, tracer, roleOf);
      const fresh = await b.append({ from: 'kami', to: 'claude', type: 'request', content: 'a' });
      const other = await b.append({ from: 'kami', to: 'claude', type: 'request', content: 'b' });
      assert.ok(isTraceId(fresh.metadata?.trace));
      assert.notEqual(fresh.metadata?.trace, other.metadata?.trace, 'each entering request is its own');
      const t = newTraceId();
      const inside = await tracer.run(t, 'm1', () => b.append({ from: 'claude', to: 'kaylee', type: 'notification', content: 'c', metadata: { priority: 'high' } }));
      assert.deepEqual(inside.metadata, { priority: 'high', trace: t });
      const named = newTraceId();
      assert.equal((await tracer.run(t, 'm1', () => b.append({ from: 'claude', type: 'notification', content: 'd', metadata: { trace: named } }))).metadata?.trace, named);
      const answer = await b.answer(fresh.id, { from: 'claude', content: 'done', ...replyFields(fresh) });
      assert.equal(answer.answered, true);
      await tracer.flush();
      const hops = await store.traces.hops(fresh.metadata!.trace as string);
      assert.deepEqual(hops.map((h) => [h.hop, h.agent, h.ref]), [['escalated', 'kami', fresh.id], ['answered', 'claude', answer.answered ? answer.response.id : '']], "a relay's request is an escalation");
      assert.equal(hops[1]!.detail?.replyTo, fresh.id);
      assert.deepEqual((await store.traces.hops(t)).map((h) => h.hop), ['notified']);
    });

    it('a notification appended done (an alert the relay delivered itself) says so in its hop', async () => {
      const b = tracedBridge(bridge, tracer, roleOf);
      const alert = await b.append({ from: 'kami', to: 'kami', type: 'notification', status: 'done', content: 'channel degraded' });
      const pending = await b.append({ from: 'kami', to: 'claude', type: 'notification', content: 'channel degraded' });
      await tracer.flush();
      assert.deepEqual((await store.traces.hops(traceOf(alert)))[0]?.detail, { to: 'kami', done: 1 });
      assert.deepEqual((await store.traces.hops(traceOf(pending)))[0]?.detail, { to: 'claude' });
    });

    it('a model call in a trace is two hops with its tokens; a failed one says why; outside a trace, none', async () => {
      let fail = false;
      const model: Model = { id: 'fake:m', isLanguageModel: true, complete: async () => (fail ? Promise.reject(Object.assign(new Error('rate limited'), { code: 'MODEL_UNAVAILABLE' })) : { text: 'ok', toolCalls: [], usage: { inputTokens: 120, outputTokens: 7 } }) };
      const took: number[] = [];
      const m = tracedModel(model, tracer, (s) => took.push(s));
      const t = newTraceId();
      await tracer.run(t, 'req-1', async () => {
        await m.complete({ system: '', messages: [] });
        fail = true;
        await assert.rejects(m.complete({ system: '', messages: [] }), /rate limited/);
      });
      await m.complete({ system: '', messages: [] }).catch(() => undefined);
      await tracer.flush();
      const hops = await store.traces.hops(t);
      assert.deepEqual(hops.map((h) => [h.hop, h.ref]), [['model-started', 'req-1#1'], ['model-finished', 'req-1#1'], ['model-started', 'req-1#2'], ['model-failed', 'req-1#2']]);
      assert.deepEqual([hops[1]!.detail?.inputTokens, hops[1]!.detail?.outputTokens], [120, 7]);
      assert.equal(hops[3]!.detail?.error, 'MODEL_UNAVAILABLE');
      assert.equal(took.length, 1);
    });

    it("a task joins the trace it was enqueued in; a schedule's starts its own, found again by the worker", async () => {
      const queue = tracedQueue(store.queue, tracer);
      const t = newTraceId();
      const asked = await tracer.run(t, 'req-1', () => queue.enqueue({ kind: 'prompt', payload: { prompt: 'x' } }));
      const scheduled = await queue.enqueue({ kind: 'monitor', idempotencyKey: 'schedule:kaylee:monitor:2026-01-01T00:00:00.000Z' });
      // A worker in another process (another tracer, nothing in memory) finds the trace in the store.
      await tracer.flush();
      const worker = createTracer({ agent: 'kaylee', traces: store.traces, logger: createMemoryLogger() });
      const seen: Array<string | undefined> = [];
      for (const task of [asked, scheduled]) await runTask(worker, { ...task, attempts: 1 }, async () => void seen.push(worker.current()?.trace));
      assert.deepEqual(seen, [t, traceIdFrom(`task:${scheduled.id}`)]);
      await worker.flush();
      assert.deepEqual((await store.traces.hops(t)).map((h) => [h.hop, h.agent]), [['task-enqueued', 'kami'], ['task-started', 'kaylee']]);
    });
  });
});

describe('the timeline', () => {
  const T = '4bf92f3577b34da6a3ce929d0e0e4736';
  const at0 = Date.parse('2026-01-01T10:00:00Z');
  const h = (hop: string, ref: string, dt: number, agent = 'kami', detail?: TraceHop['detail']): TraceHop => ({ trace: T, hop, ref, agent, at: at0 + dt, ...(detail ? { detail } : {}) });
  const chain = [
    h('received', 'chat_1', 0),
    h('recorded', 'chat_1', 2),
    h('acknowledged', 'ack:chat_1', 4),
    h('escalated', 'req', 5, 'kami', { to: 'claude' }),
    h('handled', 'chat_1', 6),
    h('sent', 'P1', 40, 'kami', { key: 'ack:chat_1' }),
    h('claimed', 'req', 60, 'claude'),
    h('model-started', 'req#1', 61, 'claude'),
    h('model-finished', 'req#1', 900, 'claude'),
    h('answered', 'res', 905, 'claude', { to: 'kami', replyTo: 'req' }),
    h('claimed', 'res', 930),
    h('queued', 'bridge:res:chat', 931),
    h('sent', 'P2', 980, 'kami', { key: 'bridge:res:chat' }),
    h('delivered', 'P2', 1500),
  ];

  it('a request that reached its end: each hop with the time it took, complete', () => {
    const t = buildTimeline(T, chain, AGENTS, at0 + 2000);
    assert.equal(t.complete, true);
    assert.equal(t.stopped, undefined);
    assert.equal(t.totalMs, 1500);
    assert.deepEqual(t.hops.map((x) => x.tookMs).slice(0, 4), [0, 2, 2, 1]);
    assert.equal(t.hops[8]!.tookMs, 839, 'the model took 839 ms');
    assert.equal(t.hops[12]!.sinceStartMs, 980);
  });

  it('hops of one millisecond from different processes show in the order a request passes them, not the order their batches came', () => {
    // kami's batch (its fallback record of claude's answer) reached the store before claude's own.
    const stored = [h('claimed', 'req', 0, 'claude'), h('answered', 'res', 7, 'claude', { to: 'kami', replyTo: 'req' }), h('model-finished', 'req#1', 7, 'claude'), h('model-started', 'req#1', 1, 'claude')];
    assert.deepEqual(buildTimeline(T, stored, AGENTS).hops.map((x) => x.hop), ['claimed', 'model-started', 'model-finished', 'answered']);
  });

  it('says where a request stopped: not taken, taken but not answered, a model call, a reply in the outbox', () => {
    const upTo = (n: number) => buildTimeline(T, chain.slice(0, n), AGENTS, at0 + 10_000);
    assert.match(upTo(6).stopped!.waiting, /^request req waits for claude to take it \(is claude running\?/);
    assert.equal(upTo(6).stopped!.forMs, 10_000 - 5);
    assert.match(upTo(8).stopped!.waiting, /claude's model call req#1 has not finished/);
    assert.deepEqual(upTo(8).open.map((o) => o.hop), ['escalated', 'model-started']);
    assert.match(upTo(9).stopped!.waiting, /claude took request req but has not answered it/);
    assert.match(upTo(10).stopped!.waiting, /response res waits for kami to take it/);
    assert.match(upTo(12).stopped!.waiting, /reply bridge:res:chat waits in kami's outbox/);
    assert.match(upTo(2).stopped!.waiting, /kami has not finished with message chat_1/);
    const task = buildTimeline(T, [h('task-enqueued', 'task-1', 0, 'claude'), h('task-started', 'task-1#1', 5, 'kaylee', { attempt: 1 }), h('task-finished', 'task-1#1', 9, 'kaylee', { final: 0 })], AGENTS);
    assert.match(task.stopped!.waiting, /task task-1 is running on kaylee \(attempt 1\) or waits to be tried again/);
    const done = buildTimeline(T, [h('task-enqueued', 'task-1', 0, 'claude'), h('task-finished', 'task-1#2', 9, 'kaylee', { final: 1 })], AGENTS);
    assert.equal(done.complete, true);
    assert.equal(buildTimeline(T, [h('answered', 'r', 0, 'claude', { to: 'owner', replyTo: 'q' })], AGENTS).complete, true, 'an answer to a person waits for nobody');
    assert.equal(buildTimeline(T, [h('notified', 'n', 0, 'kami', { to: 'kami', done: 1 })], AGENTS).complete, true, 'an alert its relay delivered itself (appended done) waits for nobody');
    assert.match(buildTimeline(T, [h('notified', 'n', 0, 'kami', { to: 'kami' })], AGENTS).stopped!.waiting, /notification n waits for kami to take it/);
  });

  it('finds a trace by its id, by any ref in it, by a bridge message nobody took yet; undefined for nothing', async () => {
    const { dir, cleanup } = tempDir('agentnet-trace-find-');
    const store = createSqliteStore({ path: join(dir, 'store.db') });
    const bridge = createJsonlBridge({ path: join(dir, 'bridge', 'messages.jsonl') });
    try {
      await store.traces.record(chain);
      for (const id of [T, 'chat_1', 'req', 'res', 'P2']) assert.equal((await findTrace(id, store.traces, bridge, roleOf))?.trace, T, id);
      const seed = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'nobody took me' });
      const found = await findTrace(seed.id, store.traces, bridge, roleOf);
      assert.equal(found?.trace, traceOf(seed));
      assert.deepEqual(found?.hops.map((x) => [x.hop, x.agent, x.detail?.to]), [['escalated', 'kami', 'claude']]);
      assert.match(buildTimeline(found!.trace, found!.hops, AGENTS).stopped!.waiting, /waits for claude to take it/);
      assert.equal(await findTrace('kami-0-nothing', store.traces, bridge, roleOf), undefined);
      assert.equal(await findTrace(newTraceId(), store.traces, bridge, roleOf), undefined, 'a well-formed trace id with no hops');
    } finally {
      await bridge.close();
      await store.close();
      cleanup();
    }
  });
});
