/**
 * The Channel conformance suite: written once, run unchanged against every adapter (WhatsApp by
 * polling and by webhook, Telegram by polling and by webhook, the terminal). A harness gives the
 * provider's side: a person sending a message, and what the provider received from us.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Channel, InboundMessage } from '../../src/channels/index.ts';
import { waitFor } from '../helpers/util.ts';

export interface ChannelHarness {
  channel: Channel;
  /** A person writes `text` (to the bot); `as` picks one of two people. */
  inject(text: string, as?: 'owner' | 'other'): Promise<void>;
  /** The texts the provider got for `chatId`, in order. */
  sent(chatId: string): string[];
  /** Whether someone other than the owner can write (not on the terminal, whose only user is the owner). */
  strangers: boolean;
  /** The chat id and sender id the owner's messages arrive with. */
  owner: { chatId: string; sender: string };
  /** Resolves once the provider side can talk to a started channel (a terminal attached). */
  ready(): Promise<void>;
  /** A new channel on the same provider and settings: what a restarted relay gets. */
  reopen(): Promise<Channel>;
  cleanup(): Promise<void>;
}

export interface ChannelCase {
  name: string;
  create(): Promise<ChannelHarness>;
}

/** Pulls messages from a channel one at a time; asking for the next acknowledges the one before. */
function reader(ch: Channel) {
  const stop = new AbortController();
  const it = ch.receive(stop.signal)[Symbol.asyncIterator]();
  return {
    async next(timeoutMs = 10_000): Promise<InboundMessage> {
      const r = await Promise.race([it.next(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no message in time')), timeoutMs))]);
      if (r.done) throw new Error('the stream ended');
      return r.value;
    },
    /** Ends without asking for more: the last message stays unacknowledged. */
    abandon: () => stop.abort(),
  };
}

export function describeChannel(c: ChannelCase): void {
  describe(`Channel conformance: ${c.name}`, () => {
    let h: ChannelHarness;
    const opened: Channel[] = [];
    beforeEach(async () => {
      h = await c.create();
      opened.push(h.channel);
      await h.channel.start();
      await h.ready();
    });
    afterEach(async () => {
      for (const ch of opened.splice(0)) await ch.stop();
      await h.cleanup();
    });

    it('delivers what a person wrote, exactly, with who wrote it and where to answer', async () => {
      const r = reader(h.channel);
      const text = 'תבדוק את השרת 🚀\nline two "quoted" <b>not html</b>';
      await h.inject(text);
      const m = await r.next();
      assert.equal(m.text, text);
      assert.equal(m.chatId, h.owner.chatId);
      assert.equal(m.sender, h.owner.sender);
      assert.ok(m.key.length > 0 && m.at > 0);
      await h.inject('second', h.strangers ? 'other' : 'owner');
      const m2 = await r.next();
      assert.equal(m2.text, 'second');
      assert.equal(m2.sender === h.owner.sender, !h.strangers, 'a stranger is reported as who they are');
      assert.notEqual(m2.key, m.key, 'every message has its own key');
      r.abandon();
    });

    it('keeps a message the consumer has not finished with: a restart receives it again, with the same key', async () => {
      const r = reader(h.channel);
      await h.inject('do not lose me');
      const first = await r.next();
      r.abandon(); // the relay died before recording it
      await h.channel.stop();
      const again = await h.reopen();
      opened.push(again);
      await again.start();
      await h.ready();
      const r2 = reader(again);
      const redelivered = await r2.next();
      assert.equal(redelivered.key, first.key);
      assert.equal(redelivered.text, 'do not lose me');
      // Asking for the next one acknowledges it: after another restart it is gone.
      await h.inject('next');
      assert.equal((await r2.next()).text, 'next');
      await h.inject('third');
      assert.equal((await r2.next()).text, 'third');
      r2.abandon();
      await again.stop();
      const last = await h.reopen();
      opened.push(last);
      await last.start();
      await h.ready();
      const r3 = reader(last);
      const m = await r3.next();
      assert.equal(m.text, 'third', 'only the unacknowledged message comes back');
      r3.abandon();
    });

    it('sends a text to a chat and reports the provider id; health says it works', async () => {
      const id = await h.channel.send(h.owner.chatId, 'Got it, I\'ll check… ✅');
      assert.ok(id.length > 0);
      await waitFor(() => h.sent(h.owner.chatId).length === 1, 'the provider received the message', 5000);
      assert.deepEqual(h.sent(h.owner.chatId), ['Got it, I\'ll check… ✅']);
      const health = await h.channel.health();
      assert.equal(health.ok, true, JSON.stringify(health));
      assert.ok(h.channel.maxLength >= 4096);
    });
  });
}
