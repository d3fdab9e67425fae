/** WhatsApp through Green API beyond the shared suite: every text form, statuses, errors, the webhook's token. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChannelError, createWhatsAppChannel, extractText, splitMessage, type Channel, type InboundMessage } from '../../src/channels/index.ts';
import { createMemoryLogger, silentLogger } from '../../src/log/logger.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import { freePort, waitFor } from '../helpers/util.ts';

describe('WhatsApp text extraction', () => {
  it('takes the text of every form a person writes, and nothing from placeholders or reactions', () => {
    assert.deepEqual(extractText({ typeMessage: 'textMessage', textMessageData: { textMessage: 'hi' } }), { text: 'hi' });
    assert.deepEqual(extractText({ typeMessage: 'extendedTextMessage', extendedTextMessageData: { text: 'see https://x.y' } }), { text: 'see https://x.y' });
    assert.deepEqual(
      extractText({ typeMessage: 'quotedMessage', extendedTextMessageData: { text: 'Yes', stanzaId: 'B7F3' }, quotedMessage: { stanzaId: '9A73', typeMessage: 'textMessage', textMessage: 'Hello' } }),
      { text: 'Yes' },
      'a reply is the new text, not the quoted one',
    );
    assert.deepEqual(extractText({ typeMessage: 'imageMessage', fileMessageData: { caption: 'the error screen' } }), { text: 'the error screen' });
    assert.deepEqual(extractText({ typeMessage: 'editedMessage', editedMessageData: { textMessage: 'fixed typo', stanzaId: 'X' } }), { text: 'fixed typo' });
    for (const md of [
      { typeMessage: 'textMessage', textMessageData: { textMessage: '{{SWE001}}' } },
      { typeMessage: 'imageMessage', fileMessageData: { caption: '' } },
      { typeMessage: 'reactionMessage', extendedTextMessageData: { text: '👍' } },
      { typeMessage: 'deletedMessage' },
      { typeMessage: 'textMessage' },
      null,
    ]) {
      assert.ok('skip' in extractText(md), JSON.stringify(md));
    }
  });
});

describe('splitting long replies', () => {
  it('cuts at paragraphs, then sentences, never inside a word when it can help it, and loses nothing', () => {
    const para = (n: number) => `Paragraph ${n}. ${'word '.repeat(30).trim()}.`;
    const text = [1, 2, 3, 4].map(para).join('\n\n');
    const parts = splitMessage(text, 400);
    assert.ok(parts.length > 1 && parts.every((p) => p.length <= 400));
    assert.ok(parts.every((p) => p.startsWith('Paragraph')), 'each part starts a paragraph');
    assert.equal(parts.join(' ').replace(/\s+/g, ' '), text.replace(/\s+/g, ' '));
    const sentences = 'First sentence here. Second one is longer than that. Third.';
    assert.deepEqual(splitMessage(sentences, 30), ['First sentence here.', 'Second one is longer than', 'that. Third.']);
    assert.deepEqual(splitMessage('😀'.repeat(5), 3), ['😀', '😀', '😀', '😀', '😀'], 'a surrogate pair is never cut');
    assert.deepEqual(splitMessage('short', 20_000), ['short']);
  });
});

describe('WhatsApp channel', () => {
  let fake: FakeGreenApi;
  before(async () => (fake = await startFakeGreenApi({ webhookRetryMs: 50 })));
  after(() => fake.close());
  const channel = (o: Partial<Parameters<typeof createWhatsAppChannel>[0]> = {}): Channel =>
    createWhatsAppChannel({ apiUrl: fake.url, idInstance: fake.idInstance, apiToken: fake.apiToken, receive: 'poll', receiveTimeoutS: 5, logger: silentLogger, ...o });

  it('handles statuses and state changes itself, passes on only text, and empties the queue', async () => {
    const ch = channel();
    await ch.start();
    const reports: string[] = [];
    ch.onDelivery!((s) => reports.push(`${s.providerId}:${s.status}`));
    fake.notify({ typeWebhook: 'outgoingMessageStatus', chatId: '1@c.us', idMessage: 'AAA', status: 'read', timestamp: 1 });
    fake.incoming({ from: '972500000001', text: '{{SWE002}}' });
    fake.setState('yellowCard');
    fake.notify({ typeWebhook: 'incomingCall', from: '1@c.us' });
    fake.incoming({ from: '972500000001', messageData: { typeMessage: 'quotedMessage', extendedTextMessageData: { text: 'yes, deploy' }, quotedMessage: { stanzaId: 'Q', typeMessage: 'textMessage', textMessage: 'deploy?' } } });
    const stop = new AbortController();
    const got: InboundMessage[] = [];
    for await (const m of ch.receive(stop.signal)) {
      got.push(m);
      break;
    }
    assert.deepEqual(got.map((m) => m.text), ['yes, deploy']);
    assert.equal(fake.pending(), 1, 'everything before the text is deleted; the text waits until the consumer asks for more');
    assert.deepEqual(reports, ['AAA:read']);
    const h = await ch.health();
    assert.equal(h.ok, false);
    assert.equal(h.state, 'yellowCard');
    assert.match(h.detail ?? '', /spam/);
    fake.setState('authorized');
    stop.abort();
    await ch.stop();
  });

  it('says what to fix when the credentials are wrong, and never shows the token', async () => {
    const ch = createWhatsAppChannel({ apiUrl: fake.url, idInstance: fake.idInstance, apiToken: 'wrong-token-abcdef', receive: 'poll', logger: silentLogger });
    await assert.rejects(ch.start(), (e) => e instanceof ChannelError && e.status === 401 && /check idInstance and apiToken/.test(e.message) && !e.message.includes('wrong-token-abcdef'));
    fake.fail(400, 1, 'sendMessage');
    const ok = channel();
    await assert.rejects(ok.send('1@c.us', 'x'), (e) => e instanceof ChannelError && !e.retryable && e.status === 400 && !e.message.includes(fake.apiToken));
    for (const status of [429, 466, 500, 502]) {
      fake.fail(status, 1, 'sendMessage');
      await assert.rejects(ok.send('1@c.us', 'x'), (e) => e instanceof ChannelError && e.retryable, `HTTP ${status} is waited out`);
    }
    await assert.rejects(ok.send('1@c.us', 'x'.repeat(20_001)), (e) => e instanceof ChannelError && /20000/.test(e.message));
  });

  it('a 400 while the instance is starting is waited out, not a lost reply', async () => {
    const { tempDir } = await import('../helpers/util.ts');
    const { createSqliteStore } = await import('../../src/store/index.ts');
    const { startOutbox } = await import('../../src/relay/outbox.ts');
    const { dir, cleanup } = tempDir('agentnet-wa-');
    const store = createSqliteStore({ path: `${dir}/store.db` });
    const ch = channel();
    fake.setState('starting');
    fake.fail(400, 1, 'sendMessage');
    await store.ledger.enqueue([{ key: 'r1', agent: 'kami', chatId: '972500000009@c.us', text: 'deployed' }]);
    const outbox = startOutbox({ agent: 'kami', ledger: store.ledger, channel: ch, logger: silentLogger, perChatMs: 0, perInstanceMs: 0, maxBackoffMs: 200 });
    try {
      await waitFor(async () => (await store.ledger.outbound('kami'))[0]!.attempts >= 1, 'the first try');
      const first = (await store.ledger.outbound('kami'))[0]!;
      assert.equal(first.state, 'pending', first.lastError);
      assert.match(first.lastError ?? '', /instance starting/);
      fake.setState('authorized');
      await waitFor(async () => (await store.ledger.outbound('kami'))[0]!.state === 'sent', 'sent once the instance is up');
      assert.deepEqual(fake.sentTo('972500000009@c.us'), ['deployed']);
    } finally {
      await outbox.stop();
      await store.close();
      cleanup();
    }
  });

  it('the webhook endpoint answers 401 without the token (Bearer or raw accepted), 400 for junk', async () => {
    const port = await freePort();
    const token = 'whk-0123456789abcdef';
    const ch = channel({ receive: 'webhook', webhook: { host: '127.0.0.1', port, token } });
    await ch.start();
    const post = (headers: Record<string, string>, body: string) => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.status);
    const status = JSON.stringify({ typeWebhook: 'stateInstanceChanged', stateInstance: 'authorized', timestamp: 1 });
    assert.equal(await post({}, status), 401);
    assert.equal(await post({ authorization: 'Bearer wrong-0123456789abc' }, status), 401);
    assert.equal(await post({ authorization: `Bearer ${token}` }, status), 200);
    assert.equal(await post({ authorization: token }, status), 200);
    assert.equal(await post({ authorization: token }, '{not json'), 400);
    await ch.stop();
  });

  it('keeps polling through an outage and delivers what arrived meanwhile', async () => {
    const own = await startFakeGreenApi();
    const ch = createWhatsAppChannel({ apiUrl: own.url, idInstance: own.idInstance, apiToken: own.apiToken, receive: 'poll', receiveTimeoutS: 5, logger: silentLogger });
    const fake = own;
    await ch.start();
    fake.down();
    const stop = new AbortController();
    const first = (async () => {
      for await (const m of ch.receive(stop.signal)) return m;
    })();
    await waitFor(() => fake.calls.filter((c) => c.method === 'receivenotification').length >= 1, 'a poll during the outage', 5000);
    await waitFor(async () => (await ch.health()).problems.some((p) => p.startsWith('cannot read the WhatsApp instance state')), 'the outage in health', 5000);
    fake.incoming({ from: '972500000001', text: 'are you there?' });
    fake.up();
    assert.equal((await first)?.text, 'are you there?');
    assert.deepEqual((await ch.health()).problems, [], 'nothing of the outage is left once Green API answers again');
    stop.abort();
    await ch.stop();
    await own.close();
  });

  /** Notifications of documented types with fields of the wrong type, each with the field it gets wrong. */
  const malformed: Array<[body: Record<string, unknown>, where: RegExp]> = [
    [{ typeWebhook: 'stateInstanceChanged', timestamp: 1, stateInstance: { toString: 1 } }, /stateInstance: .*expected string/],
    [{ typeWebhook: 'stateInstanceChanged', timestamp: 1, stateInstance: {} }, /stateInstance: .*expected string/],
    [
      { typeWebhook: 'incomingMessageReceived', timestamp: 1, idMessage: 'BAD1', senderData: { chatId: { id: 1 }, sender: '972500000001@c.us' }, messageData: { typeMessage: 'textMessage', textMessageData: { textMessage: 'hi' } } },
      /senderData\.chatId: .*expected string/,
    ],
    [{ typeWebhook: 'outgoingMessageStatus', chatId: '1@c.us', idMessage: 'X', status: ['read'] }, /status: .*expected string/],
  ];
  const assertLogged = (logger: ReturnType<typeof createMemoryLogger>) => {
    const warnings = logger.entries.filter((e) => e.level === 'warn' && typeof e.problems === 'string');
    assert.equal(warnings.length, malformed.length, JSON.stringify(logger.entries));
    malformed.forEach(([, where], i) => assert.match(String(warnings[i]!.problems), where));
  };

  it('webhook: a malformed notification is answered 200 (not delivered again for 24 h), logged and skipped; the next message is handled', async () => {
    const own = await startFakeGreenApi({ webhookRetryMs: 50 });
    const port = await freePort();
    const token = 'whk-0123456789abcdef';
    const logger = createMemoryLogger();
    const ch = createWhatsAppChannel({ apiUrl: own.url, idInstance: own.idInstance, apiToken: own.apiToken, receive: 'webhook', webhook: { host: '127.0.0.1', port, token }, logger });
    const stop = new AbortController();
    try {
      await ch.start();
      const bad = malformed.map(([body]) => own.notify(body));
      own.incoming({ from: '972500000001', text: 'deploy please' });
      own.setWebhook(`http://127.0.0.1:${port}/`, token);
      let got: InboundMessage | undefined;
      for await (const m of ch.receive(stop.signal)) {
        got = m;
        break;
      }
      assert.equal(got?.text, 'deploy please');
      assert.equal(got?.chatId, '972500000001@c.us');
      assert.deepEqual(own.webhookAttempts.filter((a) => bad.includes(a.receiptId)).map((a) => a.status), bad.map(() => 200));
      assert.equal((await ch.health()).state, 'authorized', 'a malformed state change changes nothing');
      assertLogged(logger);
    } finally {
      stop.abort();
      await ch.stop();
      await own.close();
    }
  });

  it('receiveNotification: a malformed notification is logged, deleted and skipped; the next message is handled', async () => {
    const own = await startFakeGreenApi();
    const logger = createMemoryLogger();
    const ch = createWhatsAppChannel({ apiUrl: own.url, idInstance: own.idInstance, apiToken: own.apiToken, receive: 'poll', receiveTimeoutS: 5, logger });
    const stop = new AbortController();
    try {
      await ch.start();
      for (const [body] of malformed) own.notify(body);
      own.incoming({ from: '972500000001', text: 'deploy please' });
      let got: InboundMessage | undefined;
      for await (const m of ch.receive(stop.signal)) {
        got = m;
        break;
      }
      assert.equal(got?.text, 'deploy please');
      assert.equal(own.pending(), 1, 'the malformed notifications are deleted; the text waits until the consumer asks for more');
      assert.equal((await ch.health()).state, 'authorized');
      assertLogged(logger);
    } finally {
      stop.abort();
      await ch.stop();
      await own.close();
    }
  });
});
