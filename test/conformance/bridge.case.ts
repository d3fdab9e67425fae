/**
 * The Bridge conformance suite: written once, run unchanged against every backend.
 * A backend's test file is a few lines: describeBridge({ name, create }).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAgentnetError } from '../../src/errors.ts';
import { createMemoryLogger, type Logger } from '../../src/log/logger.ts';
import type { Bridge, BridgeMessage, BridgeSpec, Subscription } from '../../src/bridge/index.ts';
import { lines, runNode, spawnNode, waitFor } from '../helpers/util.ts';

const WORKER = new URL('./bridge-worker.ts', import.meta.url).pathname;
const DAY = 86_400_000;

export interface BridgeHarness {
  bridge: Bridge;
  /** Opens the same bridge in a child process (and in a fresh instance in this one). */
  spec: BridgeSpec;
  /** A new instance on the same storage, as a restarted process would have. */
  reopen(): Promise<Bridge>;
  /** Writes raw bytes where the backend keeps its records, for torn and malformed input. */
  rawWrite?(text: string): void;
  cleanup(): Promise<void>;
}

export interface BridgeCase {
  name: string;
  create(logger: Logger): Promise<BridgeHarness>;
  /** Cases that cannot apply to this backend, each with the reason (reported as skipped). */
  notApplicable?: { rawInput?: string };
}

function collector() {
  const got: BridgeMessage[] = [];
  return { got, handler: (m: BridgeMessage) => void got.push(m), keys: () => got.map((m) => `${m.id}:${m.status}`) };
}

export function describeBridge(c: BridgeCase): void {
  describe(`Bridge conformance: ${c.name}`, () => {
    let h: BridgeHarness;
    let logger: ReturnType<typeof createMemoryLogger>;
    const open: Array<Bridge | Subscription> = [];
    const track = <T extends Bridge | Subscription>(x: T): T => (open.push(x), x);

    beforeEach(async () => {
      logger = createMemoryLogger();
      h = await c.create(logger);
    });
    afterEach(async () => {
      for (const x of open.splice(0).reverse()) await x.close();
      await h.bridge.close();
      await h.cleanup();
    });

    it('completes an appended message in the seed format and reads it back by id', async () => {
      const m = await h.bridge.append({ from: 'kami', type: 'request', content: 'check the server', to: 'claude' });
      assert.match(m.id, /^kami-\d+/);
      assert.equal(m.status, 'pending');
      assert.ok(!Number.isNaN(Date.parse(m.ts)));
      assert.deepEqual(await h.bridge.get(m.id), m);
      assert.equal(await h.bridge.get('no-such-id'), undefined);
    });

    it('keeps metadata, unknown metadata keys, to and replyTo', async () => {
      const metadata = { whatsapp_sender: '972500000000@c.us', priority: 'high' as const, context: 'ctx', extra: { nested: [1, 2] } };
      const req = await h.bridge.append({ from: 'kami', type: 'request', content: 'x', to: 'claude', metadata });
      const res = await h.bridge.append({ from: 'claude', type: 'response', content: 'y', to: 'kami', replyTo: req.id });
      assert.deepEqual((await h.bridge.get(req.id))?.metadata, metadata);
      assert.equal((await h.bridge.get(res.id))?.replyTo, req.id);
    });

    it('refuses an invalid message with a clear error and writes nothing', async () => {
      await assert.rejects(
        h.bridge.append({ from: 'bad name with spaces', type: 'request', content: 'x' }),
        (e) => isAgentnetError(e, 'BRIDGE_MESSAGE_INVALID') && /from/.test(e.message),
      );
      await assert.rejects(
        h.bridge.append({ from: 'kami', type: 'ping' as 'request', content: 'x' }),
        (e) => isAgentnetError(e, 'BRIDGE_MESSAGE_INVALID') && /type/.test(e.message),
      );
      await assert.rejects(
        h.bridge.append({ from: 'kami', type: 'request', content: 'x'.repeat(1024 * 1024 + 1) }),
        (e) => isAgentnetError(e, 'BRIDGE_MESSAGE_TOO_LARGE'),
      );
      assert.deepEqual(await h.bridge.list(), []);
    });

    it('lists the latest state of each message in order of first appearance (last write wins)', async () => {
      const a = await h.bridge.append({ from: 'kami', type: 'request', content: 'a', to: 'claude' });
      const b = await h.bridge.append({ from: 'claude', type: 'response', content: 'b', to: 'kami', replyTo: a.id });
      const n = await h.bridge.append({ from: 'kaylee', type: 'notification', content: 'c' });
      const doneA = await h.bridge.markDone(a.id);
      assert.equal(doneA.status, 'done');
      assert.equal(doneA.content, 'a');
      assert.ok(Date.parse(doneA.ts) >= Date.parse(a.ts));
      const all = await h.bridge.list();
      assert.deepEqual(all.map((m) => [m.id, m.status]), [[a.id, 'done'], [b.id, 'pending'], [n.id, 'pending']]);
      assert.deepEqual((await h.bridge.list({ status: 'pending' })).map((m) => m.id), [b.id, n.id]);
      assert.deepEqual((await h.bridge.list({ from: 'claude' })).map((m) => m.id), [b.id]);
      assert.deepEqual((await h.bridge.list({ to: ['kami', 'claude'] })).map((m) => m.id), [a.id, b.id]);
      assert.deepEqual((await h.bridge.list({ type: 'notification' })).map((m) => m.id), [n.id]);
      assert.deepEqual((await h.bridge.list({ limit: 2 })).map((m) => m.id), [b.id, n.id]);
      assert.deepEqual(await h.bridge.list({ since: new Date(Date.now() + 60_000) }), []);
    });

    it('marks done idempotently and reports an unknown id', async () => {
      const a = await h.bridge.append({ from: 'kami', type: 'request', content: 'a' });
      const first = await h.bridge.markDone(a);
      const second = await h.bridge.markDone(a.id);
      assert.deepEqual(second, first);
      await assert.rejects(h.bridge.markDone('kami-0-nothere'), (e) => isAgentnetError(e, 'BRIDGE_NOT_FOUND'));
    });

    it('answers a request exactly once: the response and the done record, then nothing more', async () => {
      const req = await h.bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'q', metadata: { whatsapp_sender: '972500000000@c.us' } });
      const first = await h.bridge.answer(req.id, { from: 'claude', to: 'kami', content: 'a1' });
      assert.equal(first.answered, true);
      assert.equal(first.response.replyTo, req.id);
      assert.equal(first.response.type, 'response');
      assert.equal(first.request.status, 'done');
      assert.equal((await h.bridge.get(req.id))?.status, 'done');
      const second = await h.bridge.answer(req.id, { from: 'claude', to: 'kami', content: 'a2' });
      assert.equal(second.answered, false);
      assert.equal(second.answered === false && second.reason, 'already-answered');
      assert.equal(second.answered === false && second.reason === 'already-answered' && second.response.id, first.response.id);
      assert.deepEqual((await h.bridge.answerOf(req.id))?.content, 'a1');
      const responses = (await h.bridge.list({ type: 'response' })).filter((m) => m.replyTo === req.id);
      assert.deepEqual(responses.map((m) => m.content), ['a1']);
      await assert.rejects(h.bridge.answer('kami-0-nothere', { from: 'claude', content: 'x' }), (e) => isAgentnetError(e, 'BRIDGE_NOT_FOUND'));
    });

    it('does not answer a request that was marked done without an answer', async () => {
      const req = await h.bridge.append({ from: 'kami', type: 'request', content: 'q' });
      await h.bridge.markDone(req);
      const r = await h.bridge.answer(req.id, { from: 'claude', content: 'late' });
      assert.equal(r.answered === false && r.reason, 'done');
      assert.equal(await h.bridge.answerOf(req.id), undefined);
    });

    it('completes a request left pending behind its response (a crash between the two) and adds no second answer', async () => {
      const req = await h.bridge.append({ from: 'kami', type: 'request', content: 'q' });
      const earlier = await h.bridge.append({ from: 'claude', type: 'response', content: 'before the crash', replyTo: req.id });
      const r = await h.bridge.answer(req.id, { from: 'claude', content: 'after the restart' });
      assert.equal(r.answered === false && r.reason, 'already-answered');
      assert.equal(r.answered === false && r.reason === 'already-answered' && r.response.id, earlier.id);
      assert.equal((await h.bridge.get(req.id))?.status, 'done');
      assert.deepEqual((await h.bridge.list({ type: 'response' })).map((m) => m.content), ['before the crash']);
      // Marking it done again adds nothing: the done state is read, not assumed.
      const records = collector();
      const sub = track(h.bridge.subscribe({ from: 'start' }, records.handler));
      await sub.ready;
      await h.bridge.markDone(req);
      await h.bridge.append({ from: 'kami', type: 'notification', content: 'fence' });
      await waitFor(() => records.got.some((m) => m.content === 'fence'), 'the fence record');
      assert.equal(records.keys().filter((k) => k === `${req.id}:done`).length, 1);
    });

    it('several processes answering the same requests at once: each request gets exactly one answer', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await h.bridge.append({ from: 'kami', to: 'claude', type: 'request', content: `q${i}` })).id);
      const runs = Array.from({ length: 4 }, (_, w) => runNode([WORKER, JSON.stringify(h.spec), 'answer', JSON.stringify({ from: `claude${w}`, ids })]));
      const results = await Promise.all(runs);
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const answeredLines = results.flatMap((r) => r.stdout.split('\n').filter((l) => l.startsWith('answered ')));
      assert.equal(answeredLines.length, ids.length, 'one process answered each request');
      const responses = (await h.bridge.list({ type: 'response' })).map((m) => m.replyTo);
      assert.deepEqual(responses.sort(), [...ids].sort(), 'one response per request, none twice');
      for (const id of ids) assert.equal((await h.bridge.get(id))?.status, 'done');
    });

    it('delivers every record in order from the start, each status change as its own record', async () => {
      const a = await h.bridge.append({ from: 'kami', type: 'request', content: 'a' });
      const b = await h.bridge.append({ from: 'kami', type: 'request', content: 'b' });
      await h.bridge.markDone(a);
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'start' }, col.handler));
      await sub.ready;
      await waitFor(() => col.got.length === 3, '3 records');
      assert.deepEqual(col.keys(), [`${a.id}:pending`, `${b.id}:pending`, `${a.id}:done`]);
    });

    it('from the end delivers only new records, filtered for one agent', async () => {
      await h.bridge.append({ from: 'kami', type: 'request', content: 'old', to: 'claude' });
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'end', filter: { to: 'claude', status: 'pending' } }, col.handler));
      await sub.ready;
      await h.bridge.append({ from: 'kami', type: 'request', content: 'for kaylee', to: 'kaylee' });
      const mine = await h.bridge.append({ from: 'kami', type: 'request', content: 'for claude', to: 'claude' });
      await h.bridge.markDone(mine);
      const last = await h.bridge.append({ from: 'kaylee', type: 'notification', content: 'also for claude', to: 'claude' });
      await waitFor(() => col.got.length === 2, 'two records for claude');
      assert.deepEqual(col.keys(), [`${mine.id}:pending`, `${last.id}:pending`]);
    });

    it('resumes a named consumer from its saved cursor after a restart', async () => {
      await h.bridge.append({ from: 'kami', type: 'request', content: 'one' });
      await h.bridge.append({ from: 'kami', type: 'request', content: 'two' });
      const col = collector();
      const sub = h.bridge.subscribe({ consumer: 'claude', from: 'start' }, col.handler);
      await sub.ready;
      await waitFor(() => col.got.length === 2, 'two records');
      await sub.close();
      const three = await h.bridge.append({ from: 'kami', type: 'request', content: 'three' });
      const restarted = track(await h.reopen());
      const col2 = collector();
      // `from: start` applies only when nothing was saved: the saved cursor wins.
      const sub2 = track(restarted.subscribe({ consumer: 'claude', from: 'start' }, col2.handler));
      await sub2.ready;
      const four = await restarted.append({ from: 'kami', type: 'request', content: 'four' });
      await waitFor(() => col2.got.length === 2, 'two new records');
      assert.deepEqual(col2.got.map((m) => m.id), [three.id, four.id]);
    });

    it('delivers a record again when its handler had not finished (at-least-once)', async () => {
      const a = await h.bridge.append({ from: 'kami', type: 'request', content: 'a' });
      const b = await h.bridge.append({ from: 'kami', type: 'request', content: 'b' });
      const seen: string[] = [];
      const sub = h.bridge.subscribe({ consumer: 'worker', from: 'start' }, async (m) => {
        seen.push(m.id);
        if (m.id === b.id) await new Promise(() => {}); // never finishes: the process "dies" here
      });
      await sub.ready;
      await waitFor(() => seen.length === 2, 'both records seen');
      await sub.close();
      const col = collector();
      const again = track((await h.reopen()).subscribe({ consumer: 'worker' }, col.handler));
      await again.ready;
      await waitFor(() => col.got.length >= 1, 'the unfinished record again');
      assert.deepEqual(col.got.map((m) => m.id), [b.id]);
      assert.notEqual(a.id, b.id);
    });

    it('redelivers to a consumer process killed mid-message', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await h.bridge.append({ from: 'kami', type: 'request', content: `m${i}` })).id);
      const child = spawnNode([WORKER, JSON.stringify(h.spec), 'consume', JSON.stringify({ consumer: 'kaylee', hangOn: ids[1] })]);
      const out = lines(child);
      await waitFor(() => out.includes(`got ${ids[1]} pending`), 'the child to reach the second message');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const col = collector();
      const sub = track(h.bridge.subscribe({ consumer: 'kaylee' }, col.handler));
      await sub.ready;
      await waitFor(() => col.got.length === 2, 'the rest');
      assert.deepEqual(col.got.map((m) => m.id), [ids[1], ids[2]]);
    });

    it('a new consumer killed in its very first message gets that message again', async () => {
      // No saved cursor and the default start (the end): the start itself must be remembered.
      const child = spawnNode([WORKER, JSON.stringify(h.spec), 'consume', JSON.stringify({ consumer: 'fresh', hangOn: 'first-job', from: 'end' })]);
      const out = lines(child);
      await waitFor(() => out.includes('ready'), 'the child to subscribe');
      await h.bridge.append({ from: 'kami', type: 'request', content: 'job', id: 'first-job' });
      await waitFor(() => out.includes('got first-job pending'), 'the child to take it');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const col = collector();
      const sub = track(h.bridge.subscribe({ consumer: 'fresh' }, col.handler));
      await sub.ready;
      await waitFor(() => col.got.length === 1, 'the job again');
      assert.equal(col.got[0]!.id, 'first-job');
    });

    it('a reader busy through two rotations loses and duplicates nothing', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const got: string[] = [];
      const sub = track(
        h.bridge.subscribe({ from: 'start' }, async (m) => {
          got.push(`${m.content}:${m.status}`);
          if (m.content === 'm1' && m.status === 'pending') await gate; // a long job
        }),
      );
      await sub.ready;
      const m1 = await h.bridge.append({ from: 'kami', type: 'request', content: 'm1' });
      const m2 = await h.bridge.append({ from: 'kami', type: 'request', content: 'm2' });
      await waitFor(() => got.length === 1, 'the reader to be busy with m1');
      await h.bridge.markDone(m1);
      await h.bridge.rotate({ olderThanDays: 1, now: new Date(Date.now() + 2 * DAY) });
      const m3 = await h.bridge.append({ from: 'kami', type: 'request', content: 'm3' });
      await h.bridge.markDone(m3);
      await h.bridge.rotate({ olderThanDays: 1, now: new Date(Date.now() + 2 * DAY) });
      await h.bridge.append({ from: 'kami', type: 'request', content: 'm4' });
      const released = performance.now();
      release();
      await waitFor(() => got.includes('m4:pending'), 'the reader to catch up');
      // Nothing is delivered twice: a window three times as long as the catch-up took (at least 200 ms).
      await sleep(Math.max(200, 3 * (performance.now() - released)));
      assert.deepEqual(got, ['m1:pending', 'm2:pending', 'm1:done', 'm3:pending', 'm3:done', 'm4:pending']);
      assert.ok(m2);
    });

    it('delivers appends made by another process, in order', async () => {
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'end' }, col.handler));
      await sub.ready;
      const r = await runNode([WORKER, JSON.stringify(h.spec), 'append', JSON.stringify({ from: 'kami', prefix: 'x', count: 50 })]);
      assert.equal(r.code, 0, r.stderr);
      await waitFor(() => col.got.length === 50, '50 records');
      assert.deepEqual(col.got.map((m) => m.id), Array.from({ length: 50 }, (_, i) => `x-${i}`));
    });

    it('loses and duplicates nothing with several appending processes at once', async () => {
      const writers = 4;
      const count = 250;
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'start' }, col.handler));
      await sub.ready;
      const runs = Array.from({ length: writers }, (_, w) =>
        runNode([WORKER, JSON.stringify(h.spec), 'append', JSON.stringify({ from: `w${w}`, prefix: `w${w}`, count })]),
      );
      for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
      const all = await h.bridge.list();
      assert.equal(all.length, writers * count);
      assert.equal(new Set(all.map((m) => m.id)).size, writers * count);
      for (let w = 0; w < writers; w++) {
        const mine = all.filter((m) => m.from === `w${w}`).map((m) => m.id);
        assert.deepEqual(mine, Array.from({ length: count }, (_, i) => `w${w}-${i}`), `writer ${w}'s order`);
      }
      await waitFor(() => col.got.length === writers * count, 'every record delivered');
      assert.equal(new Set(col.keys()).size, writers * count);
      assert.deepEqual(logger.entries.filter((e) => e.level === 'warn'), []);
    });

    it('rotation archives old done messages, which stay readable by id', async () => {
      const a = await h.bridge.append({ from: 'kami', type: 'request', content: 'old and done' });
      const b = await h.bridge.append({ from: 'kami', type: 'request', content: 'old but pending' });
      await h.bridge.markDone(a);
      const c = await h.bridge.append({ from: 'kami', type: 'request', content: 'done but recent' });
      await h.bridge.markDone(c);
      assert.equal((await h.bridge.rotate({ olderThanDays: 30 })).archived, 0, 'nothing is 30 days old yet');
      const r = await h.bridge.rotate({ olderThanDays: 30, now: new Date(Date.now() + 31 * DAY) });
      assert.equal(r.archived, 2);
      assert.equal(r.kept, 1);
      assert.deepEqual((await h.bridge.list()).map((m) => m.id), [b.id]);
      assert.deepEqual((await h.bridge.list({ includeArchived: true })).map((m) => m.id).sort(), [a.id, b.id, c.id].sort());
      assert.equal((await h.bridge.get(a.id))?.status, 'done');
      assert.equal((await h.bridge.rotate({ olderThanDays: 30, now: new Date(Date.now() + 31 * DAY) })).archived, 0, 'a second run moves nothing');
    });

    it('a stopped consumer resumes correctly across a rotation', async () => {
      const first = await h.bridge.append({ from: 'kami', type: 'request', content: 'first' });
      const col = collector();
      const sub = h.bridge.subscribe({ consumer: 'relay', from: 'start' }, col.handler);
      await sub.ready;
      await waitFor(() => col.got.length === 1, 'first');
      await sub.close();
      const missed = await h.bridge.append({ from: 'kami', type: 'request', content: 'sent while the consumer was down' });
      await h.bridge.markDone(first);
      await h.bridge.rotate({ olderThanDays: 1, now: new Date(Date.now() + 2 * DAY) });
      const after = await h.bridge.append({ from: 'kami', type: 'request', content: 'after rotation' });
      const col2 = collector();
      const sub2 = track((await h.reopen()).subscribe({ consumer: 'relay' }, col2.handler));
      await sub2.ready;
      await waitFor(() => col2.got.length === 3, 'the three records since the cursor');
      assert.deepEqual(col2.keys(), [`${missed.id}:pending`, `${first.id}:done`, `${after.id}:pending`]);
    });

    it('rotation under load: no record lost or duplicated, and readers follow to the new file', async () => {
      const writers = 3;
      const count = 300;
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'start' }, col.handler));
      await sub.ready;
      const runs = Array.from({ length: writers }, (_, w) =>
        runNode([WORKER, JSON.stringify(h.spec), 'append', JSON.stringify({ from: `r${w}`, prefix: `r${w}`, count, markDone: true })]),
      );
      let rotations = 0;
      let archived = 0;
      let writing = true;
      const finished = Promise.all(runs).finally(() => (writing = false));
      while (writing) {
        const r = await h.bridge.rotate({ olderThanDays: 1, now: new Date(Date.now() + 2 * DAY) });
        rotations++;
        archived += r.archived;
        await sleep(5); // let the writers and the subscriber run between rotations
      }
      for (const r of await finished) assert.equal(r.code, 0, r.stderr);
      archived += (await h.bridge.rotate({ olderThanDays: 1, now: new Date(Date.now() + 2 * DAY) })).archived;
      assert.equal(archived, writers * (count / 2), 'every done message archived exactly once');
      const expected = writers * count + writers * (count / 2);
      await waitFor(() => col.got.length >= expected, `${expected} records`);
      assert.equal(col.got.length, expected, 'no record delivered twice');
      assert.equal(new Set(col.keys()).size, expected);
      const everything = await h.bridge.list({ includeArchived: true });
      assert.equal(everything.length, writers * count);
      for (const m of everything) assert.equal(m.status, Number(m.id.split('-')[1]) % 2 === 1 ? 'done' : 'pending', m.id);
      const late = await h.bridge.append({ from: 'kami', type: 'notification', content: 'after the storm' });
      await waitFor(() => col.got.some((m) => m.id === late.id), 'a record appended after rotations');
      assert.ok(rotations >= 2, `rotated ${rotations} times while writers ran`);
      assert.deepEqual(logger.entries.filter((e) => e.level === 'warn' || e.level === 'error').map((e) => e.msg), []);
    });

    const rawSkip = c.notApplicable?.rawInput;

    it('waits for a torn last line and delivers it once its writer completes it', { skip: rawSkip ?? false }, async () => {
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'start', filter: { from: 'kami' } }, col.handler));
      await sub.ready;
      // The control: a whole line (not kami's) reaches a subscriber; the window below is three
      // times as long as that took (at least 300 ms), so "nothing yet" means half a line is held.
      const control = collector();
      await track(h.bridge.subscribe({ from: 'start' }, control.handler)).ready;
      const sent = performance.now();
      h.rawWrite!(JSON.stringify({ ts: new Date().toISOString(), from: 'control', type: 'notification', id: 'control-1', content: 'control', status: 'done' }) + '\n');
      await waitFor(() => control.got.length === 1, 'the control line');
      const windowMs = Math.max(300, 3 * (performance.now() - sent));
      const line = JSON.stringify({ ts: new Date().toISOString(), from: 'kami', type: 'request', id: 'kami-slow-1', content: 'slow writer', status: 'pending' });
      h.rawWrite!(line.slice(0, 40));
      await sleep(windowMs); // the subscriber wakes (notification and poll) and sees half a line
      assert.equal(col.got.length, 0);
      h.rawWrite!(line.slice(40) + '\n');
      await waitFor(() => col.got.length === 1, 'the completed line');
      assert.equal(col.got[0]!.id, 'kami-slow-1');
      assert.deepEqual(logger.entries.filter((e) => e.level === 'warn'), []);
    });

    it('after a crash left a torn line, the next append still lands whole and the fragment is reported', { skip: rawSkip ?? false }, async () => {
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'start' }, col.handler));
      await sub.ready;
      const line = JSON.stringify({ ts: new Date().toISOString(), from: 'kami', type: 'request', id: 'kami-torn-1', content: 'crashed writer', status: 'pending' });
      h.rawWrite!(line.slice(0, 40));
      const next = await h.bridge.append({ from: 'kaylee', type: 'notification', content: 'later' });
      await waitFor(() => col.got.some((m) => m.id === next.id), 'the next append');
      assert.deepEqual(col.got.map((m) => m.id), [next.id], 'the fragment is never delivered');
      assert.deepEqual((await h.bridge.list()).map((m) => m.id), [next.id]);
      const torn = logger.entries.filter((e) => e.msg === 'skipped a malformed bridge line');
      assert.ok(torn.length >= 1 && torn.every((e) => e.line === 1), 'the fragment is reported as line 1');
    });

    it('a request too large or nested too deep to write again is still marked done and answered, once', { skip: rawSkip ?? false }, async () => {
      const ts = new Date().toISOString();
      const big = { ts, from: 'kami', type: 'request', id: 'kami-big-1', content: 'x'.repeat(2 * 1024 * 1024), status: 'pending', metadata: { whatsapp_sender: '972500000000@c.us' } };
      const deep = `{"ts":"${ts}","from":"kami","type":"request","id":"kami-deep-1","content":"deep","status":"pending","metadata":{"n":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`;
      h.rawWrite!(JSON.stringify(big) + '\n');
      h.rawWrite!(deep + '\n');
      for (const id of ['kami-big-1', 'kami-deep-1']) {
        const r = await h.bridge.answer(id, { from: 'claude', content: `not handled: ${id}` });
        assert.equal(r.answered, true, id);
        const now = await h.bridge.get(id);
        assert.equal(now?.status, 'done', id);
        assert.match(String(now?.metadata?.quarantined), /bytes|nested/, id);
        assert.equal((await h.bridge.answer(id, { from: 'claude', content: 'again' })).answered, false, id);
      }
      assert.equal((await h.bridge.get('kami-big-1'))?.metadata?.whatsapp_sender, '972500000000@c.us', 'the chat an answer goes to is kept');
      const again = await h.bridge.markDone('kami-deep-1');
      assert.equal(again.status, 'done');
    });

    it('skips malformed lines with their line number and keeps going', { skip: rawSkip ?? false }, async () => {
      const good = await h.bridge.append({ from: 'kami', type: 'request', content: 'good' });
      h.rawWrite!('this is not json\n');
      h.rawWrite!('{"json":"but not a bridge message"}\n');
      const after = await h.bridge.append({ from: 'kami', type: 'request', content: 'after' });
      const col = collector();
      const sub = track(h.bridge.subscribe({ from: 'start' }, col.handler));
      await sub.ready;
      await waitFor(() => col.got.length === 2, 'both good records');
      assert.deepEqual(col.got.map((m) => m.id), [good.id, after.id]);
      assert.deepEqual((await h.bridge.list()).map((m) => m.id), [good.id, after.id]);
      const warned = logger.entries.filter((e) => e.msg === 'skipped a malformed bridge line').map((e) => e.line);
      assert.ok(warned.includes(2) && warned.includes(3), `line numbers reported: ${warned.join(',')}`);
    });
  });
}

