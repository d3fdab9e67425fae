/**
 * Telegram beyond the shared suite: Bot API errors as channel errors, retry_after honoured by the
 * outbox, and inline buttons: sent as a keyboard, a tap read (and checked) as a callback query,
 * answered, the message edited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { ChannelError, createTelegramChannel, type Channel, type InboundMessage } from '../../src/channels/index.ts';
import { readUpdate } from '../../src/channels/telegram-update.ts';
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

  it('buttons: sent as an inline keyboard; a tap comes back as a tap from who tapped, in the message\'s chat; answered once; the edit takes the buttons away', async () => {
    const own = await startFakeTelegram();
    const ch = createTelegramChannel({ token: own.token, apiRoot: own.apiRoot, receive: 'poll', pollTimeoutS: 1, logger: silentLogger });
    const stop = new AbortController();
    try {
      await ch.start();
      const id = await ch.send('111', 'deploy production?', { buttons: [{ text: '✅ Approve', data: 'approve:approval-1' }, { text: '🚫 Deny', data: 'deny:approval-1' }] });
      const keyboard = [[{ text: '✅ Approve', callback_data: 'approve:approval-1' }, { text: '🚫 Deny', callback_data: 'deny:approval-1' }]];
      assert.deepEqual(own.sent.at(-1)?.inline_keyboard, keyboard);
      await ch.send('111', 'plain');
      assert.equal(own.sent.at(-1)?.inline_keyboard, undefined, 'no buttons, no keyboard');
      const { queryId } = own.tap({ fromId: 111, messageId: Number(id), data: 'approve:approval-1' });
      const tap = await first(ch, stop.signal);
      assert.deepEqual({ ...tap, at: 0 }, { key: tap.key, chatId: '111', sender: '111', senderName: 'Ann', text: 'approve:approval-1', at: 0, tap: { id: queryId, messageId: id } });
      const poll = own.calls.find((c) => c.method === 'getUpdates');
      assert.ok((poll?.body.allowed_updates as string[]).includes('callback_query'), 'the long poll asks for taps');
      await ch.answerTap!(queryId, '✅ Approved');
      assert.deepEqual(own.answers.map((a) => [a.callback_query_id, a.text]), [[queryId, '✅ Approved']]);
      await assert.rejects(ch.answerTap!(queryId, 'again'), (e) => e instanceof ChannelError && !e.retryable && /query is too old/.test(e.message), 'a query is answered once');
      await ch.edit!('111', id, 'deploy production: ✅ approved');
      assert.deepEqual([own.message(111, Number(id))?.text, own.message(111, Number(id))?.inline_keyboard], ['deploy production: ✅ approved', undefined]);
      await assert.rejects(ch.edit!('111', id, 'deploy production: ✅ approved'), (e) => e instanceof ChannelError && e.status === 400 && /not modified/.test(e.message));
      await assert.rejects(ch.send('111', 'x', { buttons: [{ text: 'too much', data: 'x'.repeat(65) }] }), (e) => e instanceof ChannelError && !e.retryable && /BUTTON_DATA_INVALID/.test(e.message), 'Telegram refuses data over 64 bytes');
    } finally {
      stop.abort();
      await ch.stop();
      await own.close();
    }
  });

  it('a tap that is not the relay\'s (no data, malformed, 2 MiB of data) is answered empty, confirmed and skipped; the next tap arrives', async () => {
    const own = await startFakeTelegram();
    const logger = createMemoryLogger();
    const ch = createTelegramChannel({ token: own.token, apiRoot: own.apiRoot, receive: 'poll', pollTimeoutS: 1, logger });
    const stop = new AbortController();
    try {
      await ch.start();
      const id = Number(await ch.send('111', 'ask', { buttons: [{ text: 'Approve', data: 'approve:approval-1' }] }));
      const huge = own.tap({ fromId: 111, messageId: id, data: 'approve:'.padEnd(2 * 1024 * 1024, 'x') });
      const number = own.tap({ fromId: 111, messageId: id, data: 4821 });
      const game = own.tap({ fromId: 111, messageId: id, data: undefined });
      const good = own.tap({ fromId: 111, messageId: id, data: 'approve:approval-1' });
      const tap = await first(ch, stop.signal);
      assert.equal(tap.tap?.id, good.queryId, 'only the good tap reaches the relay');
      assert.deepEqual(own.answers.map((a) => [a.callback_query_id, a.text]), [huge, number, game].map((t) => [t.queryId, undefined]), 'each skipped tap answered, saying nothing');
      const warnings = logger.entries.filter((e) => e.level === 'warn');
      assert.deepEqual(warnings.map((w) => w.update), [huge.updateId, number.updateId]);
      assert.match(String(warnings[0]!.problems), /^callback_query\.data: at most 64 bytes, got "approve:x+\.\.\.$/, 'says what and where, without echoing 2 MiB');
      assert.match(String(warnings[1]!.problems), /callback_query\.data: .*expected string, received number/);
    } finally {
      stop.abort();
      await ch.stop();
      await own.close();
    }
  });

  it('webhook: a tap arrives through the webhook, which asks Telegram for taps', async () => {
    const own = await startFakeTelegram({ webhookRetryMs: 50 });
    const port = await freePort();
    const webhook = { host: '127.0.0.1', port, secret: 'tg-secret-0123456789', url: `http://127.0.0.1:${port}/` };
    const ch = createTelegramChannel({ token: own.token, apiRoot: own.apiRoot, receive: 'webhook', webhook, logger: silentLogger });
    const stop = new AbortController();
    try {
      await ch.start();
      const set = own.calls.find((c) => c.method === 'setWebhook');
      assert.ok((set?.body.allowed_updates as string[]).includes('callback_query'));
      const { queryId } = own.tap({ fromId: 222, messageId: 7, chatId: -1001, data: 'deny:approval-2' });
      const tap = await first(ch, stop.signal);
      assert.deepEqual([tap.chatId, tap.sender, tap.text, tap.tap], ['-1001', '222', 'deny:approval-2', { id: queryId, messageId: '7' }], 'an inaccessible message still names its chat and id');
    } finally {
      stop.abort();
      await ch.stop();
      await own.close();
    }
  });
});

/** The first message the channel yields. */
async function first(ch: Channel, signal: AbortSignal): Promise<InboundMessage> {
  for await (const m of ch.receive(signal)) return m;
  throw new Error('the stream ended');
}

describe('Telegram updates read at the edge: callback queries', () => {
  const from = { id: 111, is_bot: false, first_name: 'Ann', last_name: 'Levi' };
  const message = { message_id: 42, date: 1_700_000_000, chat: { id: 111, type: 'private' }, text: 'ask' };
  const query = (fields: Record<string, unknown>) => ({ update_id: 5, callback_query: { id: 'q1', from, message, chat_instance: '-77', data: 'approve:approval-1', ...fields } });
  const read = (u: unknown) => {
    const logger = createMemoryLogger();
    return { ...readUpdate(u, logger), warnings: logger.entries.filter((e) => e.level === 'warn').map((e) => String(e.problems)) };
  };

  it('a tap: its data as the text, from who tapped, in the message\'s chat, with the query and the message to answer and edit', () => {
    const r = read(query({}));
    assert.deepEqual({ ...r.message, at: 0 }, { key: 'tg_5', chatId: '111', sender: '111', senderName: 'Ann Levi', text: 'approve:approval-1', at: 0, tap: { id: 'q1', messageId: '42' } });
    assert.deepEqual([r.answerEmpty, r.warnings], [undefined, []]);
    const noMessage = read(query({ message: undefined, inline_message_id: 'AAA' }));
    assert.deepEqual([noMessage.message?.chatId, noMessage.message?.tap], ['111', { id: 'q1' }], 'without the message: the user\'s own chat, nothing to edit');
    assert.equal(read(query({ data: 'x'.repeat(64) })).message?.text.length, 64, '64 bytes is the limit, and allowed');
  });

  it('refused at the edge, logged with what and where, and answered empty when the query has an id: data of the wrong type, too long, empty; a bad id or user', () => {
    const cases: Array<[string, unknown, RegExp, string | undefined]> = [
      ['data a number', query({ data: 4821 }), /^callback_query\.data: .*expected string, received number/, 'q1'],
      ['data an object', query({ data: { approve: true } }), /^callback_query\.data: .*expected string, received object/, 'q1'],
      ['data over 64 bytes (22 Hebrew letters are 44 bytes, 33 are 66)', query({ data: 'א'.repeat(33) }), /^callback_query\.data: at most 64 bytes/, 'q1'],
      ['data of 2 MiB', query({ data: 'y'.repeat(2 * 1024 * 1024) }), /^callback_query\.data: at most 64 bytes, got "y+\.\.\.$/, 'q1'],
      ['data empty', query({ data: '' }), /^callback_query\.data: /, 'q1'],
      ['id a number', query({ id: 7 }), /^callback_query\.id: .*expected string/, undefined],
      ['no user', query({ from: undefined }), /^callback_query\.from: /, 'q1'],
      ['user id a string', query({ from: { ...from, id: '111' } }), /^callback_query\.from\.id: /, 'q1'],
      ['message id a string', query({ message: { ...message, message_id: '42' } }), /^callback_query\.message\.message_id: /, 'q1'],
      ['no chat_instance', query({ chat_instance: undefined }), /^callback_query\.chat_instance: /, 'q1'],
      ['the query a string', { update_id: 5, callback_query: 'approve:approval-1' }, /^callback_query: /, undefined],
    ];
    for (const [what, update, problem, answerEmpty] of cases) {
      const r = read(update);
      assert.equal(r.message, undefined, `${what}: not passed on`);
      assert.equal(r.warnings.length, 1, `${what}: one warning`);
      assert.match(r.warnings[0]!, problem, what);
      assert.ok(r.warnings[0]!.length < 300, `${what}: the warning stays short`);
      assert.equal(r.answerEmpty, answerEmpty, `${what}: answered empty when it has an id`);
    }
  });

  it('a callback query without data (a game\'s) is answered empty and skipped without a warning', () => {
    const r = read(query({ data: undefined, game_short_name: 'g' }));
    assert.deepEqual([r.message, r.answerEmpty, r.warnings], [undefined, 'q1', []]);
  });
});
