/** The delivery ledger conformance suite: written once, run unchanged against every store backend. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { StoreCase, StoreHarness } from './queue.case.ts';

export function describeLedger(c: StoreCase): void {
  describe(`Ledger conformance: ${c.name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => (h = await c.create()));
    afterEach(async () => {
      await h.store.close();
      await h.cleanup();
    });
    const l = () => h.store.ledger;
    const pendingOf = async () => (await l().outbound('kami')).filter((r) => r.state === 'pending');
    const inbound = (key: string, chatId = '972500000001@c.us') => ({ key, agent: 'kami', chatId, sender: chatId.replace(/@.*/, ''), text: `text ${key}`, receivedAt: Date.now() });

    it('records an inbound message once: a redelivery is recognised', async () => {
      assert.equal(await l().receive(inbound('c_1')), true);
      assert.equal(await l().receive(inbound('c_1')), false);
      assert.equal((await l().getInbound('kami', 'c_1'))?.state, 'received');
      assert.deepEqual((await l().unfinished('kami')).map((r) => r.key), ['c_1']);
      assert.deepEqual(await l().unfinished('other'), [], 'per agent');
      assert.equal(await l().receive({ ...inbound('c_1'), agent: 'kami2' }), true, 'another relay in the same group records it too');
      assert.equal(await l().enqueue([{ key: 'refusal:x', agent: 'kami', chatId: 'x', text: 'no' }, { key: 'refusal:x', agent: 'kami2', chatId: 'x', text: 'no' }]), 2);
    });

    it('finishes an inbound message and queues its replies in one step, each reply once', async () => {
      await l().receive(inbound('c_1'));
      await l().receive(inbound('c_2'));
      await l().finish('kami', 'c_1', 'handled', [{ key: 'answer:c_1', agent: 'kami', chatId: 'a', text: 'hello' }]);
      await l().finish('kami', 'c_1', 'handled', [{ key: 'answer:c_1', agent: 'kami', chatId: 'a', text: 'hello again' }]);
      assert.deepEqual((await l().unfinished('kami')).map((r) => r.key), ['c_2']);
      const pending = await pendingOf();
      assert.deepEqual(pending.map((p) => [p.key, p.text, p.state]), [['answer:c_1', 'hello', 'pending']]);
      assert.equal(await l().enqueue([{ key: 'answer:c_1', agent: 'kami', chatId: 'a', text: 'x' }, { key: 'n1', agent: 'kami', chatId: 'a', text: 'y' }]), 1);
    });

    it('keeps a reply\'s buttons and an inbound tap, so a restart still sends the one and answers the other; none where none were given', async () => {
      const buttons = [{ text: 'Approve', data: 'approve:approval-1' }, { text: 'דחה', data: 'deny:approval-1' }];
      await l().enqueue([{ key: 'ask', agent: 'kami', chatId: 'A', text: 'yes?', buttons }, { key: 'plain', agent: 'kami', chatId: 'B', text: 'hi' }, { key: 'empty', agent: 'kami', chatId: 'C', text: 'x', buttons: [] }]);
      const due = await l().due('kami', Infinity);
      assert.deepEqual(due.map((r) => [r.key, r.buttons]), [['ask', buttons], ['plain', undefined], ['empty', undefined]]);
      await l().receive({ ...inbound('tap_1'), text: 'approve:approval-1', tap: { id: '4382bfdwdsb323b2d9', messageId: '42' } });
      await l().receive({ ...inbound('tap_2'), text: 'deny:approval-1', tap: { id: 'q2' } });
      await l().receive(inbound('typed'));
      const byKey = new Map((await l().unfinished('kami')).map((r) => [r.key, r]));
      assert.deepEqual(byKey.get('tap_1')?.tap, { id: '4382bfdwdsb323b2d9', messageId: '42' });
      assert.deepEqual(byKey.get('tap_2')?.tap, { id: 'q2' });
      assert.equal(byKey.get('typed')?.tap, undefined, 'typed text is not a tap');
      assert.deepEqual((await l().getInbound('kami', 'tap_1'))?.tap, { id: '4382bfdwdsb323b2d9', messageId: '42' });
    });

    it('keeps the trace a reply belongs to, and none for a reply without one', async () => {
      const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
      await l().enqueue([{ key: 'ack:c_1', agent: 'kami', chatId: 'a', text: 'Got it', trace }]);
      await l().finish('kami', 'c_1', 'handled', [{ key: 'refusal:a', agent: 'kami', chatId: 'a', text: 'no' }]);
      const out = await l().outbound('kami');
      assert.deepEqual(out.map((r) => [r.key, r.trace]), [['ack:c_1', trace], ['refusal:a', undefined]]);
      assert.deepEqual((await l().due('kami', Infinity)).map((r) => r.trace), [trace], 'what the outbox sends carries it');
    });

    it('keeps a reply\'s buttons and its trace together', async () => {
      const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const buttons = [{ text: 'Approve', data: 'approve:approval-1' }, { text: 'Deny', data: 'deny:approval-1' }];
      await l().enqueue([{ key: 'ask', agent: 'kami', chatId: 'A', text: 'yes?', buttons, trace }]);
      const [due] = await l().due('kami', Infinity);
      assert.deepEqual([due?.key, due?.buttons, due?.trace], ['ask', buttons, trace]);
    });

    it('remembers the escalation id before the request exists', async () => {
      await l().receive(inbound('c_1'));
      await l().escalating('kami', 'c_1', 'kami-1-abc');
      assert.equal((await l().getInbound('kami', 'c_1'))?.escalatedAs, 'kami-1-abc');
    });

    it('gives each chat its oldest pending reply, holding a chat back while it waits to retry', async () => {
      await l().enqueue([
        { key: 'a1', agent: 'kami', chatId: 'A', text: '1' },
        { key: 'b1', agent: 'kami', chatId: 'B', text: '1' },
        { key: 'a2', agent: 'kami', chatId: 'A', text: '2' },
      ]);
      const now = Date.now();
      assert.deepEqual((await l().due('kami', now)).map((r) => r.key), ['a1', 'b1']);
      const [a1] = await l().due('kami', now);
      await l().retryLater(a1!.seq, 'HTTP 502', now + 60_000);
      assert.deepEqual((await l().due('kami', now)).map((r) => r.key), ['b1'], 'a2 never overtakes a1');
      assert.deepEqual((await l().due('kami', now + 61_000)).map((r) => r.key), ['a1', 'b1']);
      assert.deepEqual((await l().due('kami', Infinity)).map((r) => r.key), ['a1', 'b1'], 'Infinity: every chat\'s oldest');
      await l().markSent(a1!.seq, 'PROV1', now);
      await l().delivery('PROV1', 'read');
      const sent = (await l().outbound('kami', { chatId: 'A' })).find((r) => r.key === 'a1')!;
      assert.deepEqual([sent.state, sent.attempts, sent.providerId, sent.delivery, sent.lastError], ['sent', 2, 'PROV1', 'read', undefined]);
      const b1 = (await pendingOf()).find((r) => r.key === 'b1')!;
      await l().markFailed(b1.seq, 'HTTP 400');
      const st = await l().stats('kami', now);
      assert.deepEqual([st.outbound.pending, st.outbound.sent, st.outbound.failed], [1, 1, 1]);
      assert.deepEqual((await pendingOf()).map((r) => r.key), ['a2']);
    });

    it("finds every chat's head among a long backlog, sent replies and another agent's, oldest first", async () => {
      // An owner who is not connected: hundreds of replies wait, in chats enqueued in no particular order.
      const chats = ['C@c.us', 'A@c.us', 'E@g.us', 'B@c.us', 'D@lid'];
      const replies = Array.from({ length: 500 }, (_, i) => ({ key: `r${i}`, agent: 'kami', chatId: chats[i % chats.length]!, text: `${i}` }));
      await l().enqueue(replies.slice(0, 250));
      await l().enqueue([{ key: 'other', agent: 'kami2', chatId: 'A@c.us', text: 'not kami\'s' }]);
      await l().enqueue(replies.slice(250));
      const now = Date.now();
      const heads = await l().due('kami', Infinity);
      assert.deepEqual(heads.map((r) => [r.key, r.chatId]), chats.map((c, i) => [`r${i}`, c]), 'each chat\'s oldest, in enqueue order');
      // The first two chats' heads go out, one waits to retry: the next of each sent chat is its head now.
      await l().markSent(heads[0]!.seq, 'P0', now);
      await l().markSent(heads[1]!.seq, 'P1', now);
      await l().retryLater(heads[2]!.seq, 'HTTP 400', now + 60_000);
      assert.deepEqual((await l().due('kami', now)).map((r) => r.key), ['r3', 'r4', 'r5', 'r6']);
      assert.deepEqual((await l().due('kami', Infinity)).map((r) => r.key), ['r2', 'r3', 'r4', 'r5', 'r6']);
      assert.deepEqual((await l().due('kami2', Infinity)).map((r) => r.key), ['other']);
      const st = await l().stats('kami', now + 5000);
      assert.deepEqual([st.outbound.pending, st.outbound.sent], [498, 2]);
      assert.ok(st.oldestPendingMs !== undefined && st.oldestPendingMs >= 5000, 'the oldest pending reply is r2, enqueued before now');
      // Given up on B's head: B's next reply (every fifth) is its head now.
      await l().markFailed((await l().due('kami', Infinity)).find((r) => r.chatId === 'B@c.us')!.seq, 'HTTP 400');
      assert.deepEqual((await l().due('kami', Infinity)).map((r) => r.key), ['r2', 'r4', 'r5', 'r6', 'r8']);
    });
  });
}
