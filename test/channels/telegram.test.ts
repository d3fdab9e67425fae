/** Telegram beyond the shared suite: Bot API errors as channel errors, and retry_after honoured by the outbox. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ChannelError, createTelegramChannel } from '../../src/channels/index.ts';
import { createMemoryLogger, silentLogger } from '../../src/log/logger.ts';
import { startOutbox } from '../../src/relay/outbox.ts';
import { createSqliteStore } from '../../src/store/index.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { freePort, tempDir, waitFor } from '../helpers/util.ts';

/** A private-chat message whose text is an object: what a hostile or broken sender could post. */
const malformed = { message: { message_id: 7, date: 1700000000, from: { id: 111, is_bot: false, first_name: 'Ann' }, chat: { id: 111, type: 'private' }, text: { bold: 'hi' } } };

/** The warning logged for update `id`: it says what is wrong, and where. */
const warningFor = (logger: ReturnType<typeof createMemoryLogger>, id: number) => {
  const w = logger.entries.find((e) => e.update === id);
  assert.equal(w?.level, 'warn', `a warning for update ${id}: ${JSON.stringify(logger.entries)}`);
  assert.match(String(w.problems), /message\.text: .*expected string/);
};

describe('Telegram channel', () => {
  let fake: FakeTelegram;
  before(async () => (fake = await startFakeTelegram()));
  after(() => fake.close());

  it('a wrong token stops the start with what to do; errors never show the token', async () => {
    const ch = createTelegramChannel({ token: '999:wrong-token-value', apiRoot: fake.apiRoot, receive: 'poll', logger: silentLogger });
    await assert.rejects(ch.start(), (e) => e instanceof ChannelError && !e.retryable && /BotFather/.test(e.message) && !e.message.includes('wrong-token-value'));
  });

  it('429 carries retry_after; 5xx is retried; a too long text is refused for good', async () => {
    const ch = createTelegramChannel({ token: fake.token, apiRoot: fake.apiRoot, receive: 'poll', logger: silentLogger });
    fake.rateLimit(35);
    await assert.rejects(ch.send('111', 'hi'), (e) => e instanceof ChannelError && e.retryable && e.retryAfterMs === 35_000 && e.status === 429);
    fake.fail(502, 1, 'sendMessage');
    await assert.rejects(ch.send('111', 'hi'), (e) => e instanceof ChannelError && e.retryable);
    await assert.rejects(ch.send('111', 'x'.repeat(4097)), (e) => e instanceof ChannelError && !e.retryable && /too long/.test(e.message));
  });

  it('the outbox waits out retry_after, then sends each reply once, in order', async () => {
    const { dir, cleanup } = tempDir('agentnet-tg-');
    const store = createSqliteStore({ path: join(dir, 'store.db') });
    const ch = createTelegramChannel({ token: fake.token, apiRoot: fake.apiRoot, receive: 'poll', logger: silentLogger });
    const before = fake.sentTo('333').length;
    fake.rateLimit(1);
    await store.ledger.enqueue(['one', 'two', 'three'].map((t) => ({ key: `k-${t}`, agent: 'kami', chatId: '333', text: t })));
    const outbox = startOutbox({ agent: 'kami', ledger: store.ledger, channel: ch, logger: silentLogger, perChatMs: 0, perInstanceMs: 0 });
    try {
      await waitFor(() => fake.sentTo('333').length - before === 3, 'three replies', 10_000);
      assert.deepEqual(fake.sentTo('333').slice(before), ['one', 'two', 'three']);
      const tries = fake.calls.filter((c) => c.method === 'sendMessage' && c.body.chat_id !== undefined && String(c.body.chat_id) === '333');
      assert.ok(tries[1]!.at - tries[0]!.at >= 1000, `the second try came ${tries[1]!.at - tries[0]!.at} ms after the 429 that said 1 s`);
      await waitFor(async () => (await store.ledger.outbound('kami', { chatId: '333' })).every((r) => r.state === 'sent'), 'all recorded as sent');
      const sent = await store.ledger.outbound('kami', { chatId: '333' });
      assert.deepEqual(sent.map((r) => [r.text, r.state]), [['one', 'sent'], ['two', 'sent'], ['three', 'sent']]);
      assert.equal(sent[0]!.attempts, 2);
    } finally {
      await outbox.stop();
      await store.close();
      cleanup();
    }
  });

  it('getUpdates: a malformed update is logged, confirmed and skipped; the next message is handled', async () => {
    const own = await startFakeTelegram();
    const logger = createMemoryLogger();
    const ch = createTelegramChannel({ token: own.token, apiRoot: own.apiRoot, receive: 'poll', pollTimeoutS: 1, logger });
    const stop = new AbortController();
    try {
      await ch.start();
      const bad = own.update(malformed);
      own.incoming({ fromId: 111, text: 'deploy please' });
      const got: unknown[] = [];
      for await (const m of ch.receive(stop.signal)) {
        got.push(m.text);
        if (got.length === 1) own.incoming({ fromId: 111, text: 'and report' });
        else break;
      }
      assert.deepEqual(got, ['deploy please', 'and report']);
      assert.equal(own.pending(), 1, 'the malformed update and the first text are confirmed; only the last waits');
      warningFor(logger, bad);
    } finally {
      stop.abort();
      await ch.stop();
      await own.close();
    }
  });

  it('webhook: a malformed update is answered 200 (not delivered again), logged and skipped; the next message is handled', async () => {
    const own = await startFakeTelegram({ webhookRetryMs: 50 });
    const port = await freePort();
    const logger = createMemoryLogger();
    const webhook = { host: '127.0.0.1', port, secret: 'tg-secret-0123456789', url: `http://127.0.0.1:${port}/` };
    const ch = createTelegramChannel({ token: own.token, apiRoot: own.apiRoot, receive: 'webhook', webhook, logger });
    const stop = new AbortController();
    try {
      const bad = own.update(malformed);
      own.incoming({ fromId: 111, text: 'deploy please' });
      await ch.start();
      let text: unknown;
      for await (const m of ch.receive(stop.signal)) {
        text = m.text;
        break;
      }
      assert.equal(text, 'deploy please');
      assert.deepEqual(own.webhookAttempts.filter((a) => a.update_id === bad).map((a) => a.status), [200]);
      warningFor(logger, bad);
    } finally {
      stop.abort();
      await ch.stop();
      await own.close();
    }
  });
});
