/** Telegram beyond the shared suite: Bot API errors as channel errors, and retry_after honoured by the outbox. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ChannelError, createTelegramChannel } from '../../src/channels/index.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { startOutbox } from '../../src/relay/outbox.ts';
import { createSqliteStore } from '../../src/store/index.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { tempDir, waitFor } from '../helpers/util.ts';

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
});
