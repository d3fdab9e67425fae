/**
 * A channel cannot look healthy while deaf: a long poll that never comes back, a webhook nobody
 * calls, an instance that is not authorized, a webhook Telegram cannot reach, and providers that
 * answer in the wrong shape, each through the real client and a fake provider. Time is the
 * channel's `now`, moved by hand; nothing sleeps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTelegramChannel, createWhatsAppChannel, type Channel, type InboundMessage } from '../../src/channels/index.ts';
import { judgeWebhookInfo } from '../../src/channels/telegram-webhook-info.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { startFakeGreenApi } from '../fakes/fake-green-api.ts';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { freePort, waitFor } from '../helpers/util.ts';

/** A clock the test moves. */
const handClock = (start = Date.now()) => {
  let t = start;
  return { now: () => t, pass: (ms: number) => void (t += ms), iso: () => new Date(t).toISOString() };
};

/** Takes every message `ch` receives (each acknowledged by asking for the next) until `stop`; `next()` resolves with the next one. */
function consume(ch: Channel, stop: AbortController) {
  const got: InboundMessage[] = [];
  let taken = 0;
  const done = (async () => {
    for await (const m of ch.receive(stop.signal)) got.push(m);
  })();
  return {
    done,
    async next(): Promise<string> {
      await waitFor(() => got.length > taken, 'the next message');
      return got[taken++]!.text;
    },
  };
}

describe('WhatsApp channel health', () => {
  it('a long poll that hangs (accepted, never answered, no error) is deaf past the wait plus the margin; it hears again when the poll answers', async () => {
    const fake = await startFakeGreenApi();
    const clock = handClock();
    const ch = createWhatsAppChannel({ apiUrl: fake.url, idInstance: fake.idInstance, apiToken: fake.apiToken, receive: 'poll', receiveTimeoutS: 5, now: clock.now, logger: silentLogger });
    const stop = new AbortController();
    try {
      await ch.start();
      fake.hang('receiveNotification');
      const inbound = consume(ch, stop);
      await waitFor(() => fake.hanging('receiveNotification') === 1, 'the long poll accepted and left hanging');
      let h = await ch.health();
      assert.equal(h.ok, true, JSON.stringify(h));
      assert.deepEqual(h.receive, { mode: 'poll', lastCycleAt: null, expectedWithinMs: 10_000 });
      clock.pass(10_000);
      assert.equal((await ch.health()).ok, true, 'exactly the expected interval is not yet deaf');
      clock.pass(1);
      h = await ch.health();
      assert.equal(h.ok, false);
      assert.equal(h.problems.length, 1, JSON.stringify(h.problems));
      assert.match(h.problems[0]!, /^deaf: no long poll to Green API has come back since the start \(expected within 10 s: the wait plus 5 s\)/);
      assert.equal(h.state, 'authorized', 'the provider says all is well: only the receive watch knows');
      fake.incoming({ from: '972500000001', text: 'still there?' });
      fake.unhang();
      assert.equal(await inbound.next(), 'still there?');
      h = await ch.health();
      assert.equal(h.ok, true, JSON.stringify(h.problems));
      assert.equal(h.receive?.lastCycleAt, clock.iso());
    } finally {
      stop.abort();
      await ch.stop();
      await fake.close();
    }
  });

  it('the instance turns notAuthorized without a notification: the canary finds it and says what to do; authorized again, it says so', async () => {
    const fake = await startFakeGreenApi();
    const clock = handClock();
    const ch = createWhatsAppChannel({ apiUrl: fake.url, idInstance: fake.idInstance, apiToken: fake.apiToken, receive: 'poll', receiveTimeoutS: 5, now: clock.now, logger: silentLogger });
    try {
      await ch.start();
      fake.state = 'notAuthorized';
      clock.pass(1000);
      const r = await ch.canary!();
      assert.equal(r.ok, false);
      assert.equal(r.at, clock.iso());
      assert.match(r.detail, /the WhatsApp instance is notAuthorized: .*scan the QR code/);
      const h = await ch.health();
      assert.equal(h.ok, false);
      assert.deepEqual(h.problems, [r.detail]);
      assert.deepEqual(h.canary, r);
      fake.state = 'authorized';
      const again = await ch.canary!();
      assert.deepEqual([again.ok, again.detail], [true, 'instance authorized']);
      assert.equal((await ch.health()).ok, true);
      assert.equal(fake.calls.filter((c) => c.method === 'getstateinstance').length, 3, 'one read at start, one per canary');
    } finally {
      await ch.stop();
      await fake.close();
    }
  });

  it('getStateInstance answers of the wrong shape: validated, a clear reason, never a crash; the next good answer clears it', async () => {
    const fake = await startFakeGreenApi();
    const ch = createWhatsAppChannel({ apiUrl: fake.url, idInstance: fake.idInstance, apiToken: fake.apiToken, receive: 'poll', receiveTimeoutS: 5, logger: silentLogger });
    try {
      await ch.start();
      const wrong: Array<[unknown, RegExp]> = [
        [{ stateInstance: 42 }, /stateInstance: .*expected string.*got 42/],
        [{ stateInstance: { toString: 'authorized' } }, /stateInstance: .*expected string/],
        [{}, /stateInstance: .*expected string.*got nothing/],
        [['authorized'], /\(the whole payload\): .*expected object/],
        [null, /\(the whole payload\): .*expected object.*got null/],
      ];
      for (const [body, why] of wrong) {
        fake.garble(body, 1, 'getStateInstance');
        const r = await ch.canary!();
        assert.equal(r.ok, false, JSON.stringify(body));
        assert.match(r.detail, /^cannot read the WhatsApp instance state: Green API getStateInstance: the answer does not have the documented shape: /);
        assert.match(r.detail, why);
        assert.ok(!r.detail.includes(fake.apiToken), 'the token is never shown');
        assert.equal((await ch.health()).ok, false);
      }
      assert.equal((await ch.canary!()).ok, true);
      assert.deepEqual((await ch.health()).problems, []);
    } finally {
      await ch.stop();
      await fake.close();
    }
  });

  it('webhook: silent past maxSilence is deaf; a call or the canary finding the queue empty is a cycle; a growing queue says the webhook is not reached', async () => {
    const fake = await startFakeGreenApi({ webhookRetryMs: 60_000 });
    const port = await freePort();
    const token = 'whk-0123456789abcdef';
    const clock = handClock();
    const ch = createWhatsAppChannel({
      apiUrl: fake.url, idInstance: fake.idInstance, apiToken: fake.apiToken, receive: 'webhook', webhook: { host: '127.0.0.1', port, token },
      maxSilenceMs: 60_000, now: clock.now, logger: silentLogger,
    });
    const stop = new AbortController();
    try {
      await ch.start();
      const inbound = consume(ch, stop);
      fake.setWebhook(`http://127.0.0.1:${port}/`, token);
      clock.pass(60_001);
      let h = await ch.health();
      assert.equal(h.ok, false);
      assert.match(h.problems.join(), /^deaf: no webhook call and no confirmation from Green API since the start \(maxSilence 1 min\)/);
      // The canary: the instance answers and nothing waits in the queue.
      let r = await ch.canary!();
      assert.deepEqual([r.ok, r.detail], [true, 'instance authorized, 0 notifications waiting']);
      assert.equal((await ch.health()).ok, true, 'the empty queue is a confirmation');
      clock.pass(60_001);
      assert.equal((await ch.health()).ok, false);
      fake.incoming({ from: '972500000001', text: 'hello' });
      assert.equal(await inbound.next(), 'hello');
      h = await ch.health();
      assert.equal(h.ok, true, JSON.stringify(h.problems));
      assert.equal(h.receive?.lastCycleAt, clock.iso());
      // Green API can no longer reach the endpoint: notifications pile up.
      fake.webhookUnreachable(true);
      fake.incoming({ from: '972500000001', text: 'one' });
      await waitFor(() => fake.webhookAttempts.some((a) => a.status === 0), 'a failed delivery');
      r = await ch.canary!();
      assert.equal(r.ok, false);
      assert.match(r.detail, /^1 notifications wait at Green API \(0 at the last check\): they are not reaching the webhook/);
      fake.webhookUnreachable(false);
      assert.equal(await inbound.next(), 'one');
      await waitFor(() => fake.pending() === 0, 'delivered');
      assert.equal((await ch.canary!()).ok, true);
      fake.garble({ count: '3' }, 1, 'getWebhooksCount');
      r = await ch.canary!();
      assert.equal(r.ok, false);
      assert.match(r.detail, /cannot read Green API's webhook queue: Green API getWebhooksCount: the answer does not have the documented shape: count: .*expected number/);
    } finally {
      stop.abort();
      await ch.stop();
      await fake.close();
    }
  });
});

describe('Telegram channel health', () => {
  it('a getUpdates that hangs is deaf past its wait plus the margin; it hears again when Telegram answers', async () => {
    const fake = await startFakeTelegram();
    const clock = handClock();
    const ch = createTelegramChannel({ token: fake.token, apiRoot: fake.apiRoot, receive: 'poll', pollTimeoutS: 1, now: clock.now, logger: silentLogger });
    const stop = new AbortController();
    try {
      await ch.start();
      fake.hang('getUpdates');
      const inbound = consume(ch, stop);
      await waitFor(() => fake.hanging('getUpdates') === 1, 'getUpdates accepted and left hanging');
      clock.pass(6_001);
      const h = await ch.health();
      assert.equal(h.ok, false);
      assert.match(h.problems.join(), /^deaf: no long poll to Telegram has come back since the start \(expected within 6 s/);
      fake.incoming({ fromId: 111, text: 'ping' });
      fake.unhang();
      assert.equal(await inbound.next(), 'ping');
      assert.equal((await ch.health()).ok, true);
      assert.deepEqual([(await ch.canary!()).ok, (await ch.health()).canary?.detail], [true, 'bot @agentnet_test_bot']);
    } finally {
      stop.abort();
      await ch.stop();
      await fake.close();
    }
  });

  it('webhook: getWebhookInfo reporting a delivery error and a growing queue, a webhook removed or taken over, answers of the wrong shape, and silence', async () => {
    // One failed delivery, then none until the webhook is reachable again: the errors are the test's.
    const fake = await startFakeTelegram({ webhookRetryMs: 60_000 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const clock = handClock();
    const ch = createTelegramChannel({
      token: fake.token, apiRoot: fake.apiRoot, receive: 'webhook', webhook: { host: '127.0.0.1', port, secret: 'tg-secret-0123456789', url },
      maxSilenceMs: 60_000, now: clock.now, logger: silentLogger,
    });
    const stop = new AbortController();
    // The clock stays at Telegram's wall time here: last_error_date is compared with the last check's time.
    const canary = () => ch.canary!();
    try {
      await ch.start();
      const inbound = consume(ch, stop);
      let r = await canary();
      assert.deepEqual([r.ok, r.detail], [true, 'bot @agentnet_test_bot, webhook: 0 pending']);
      fake.webhookUnreachable(true);
      fake.incoming({ fromId: 111, text: 'one' });
      await waitFor(() => fake.webhookAttempts.length === 1, 'a failed delivery');
      r = await canary();
      assert.equal(r.ok, false);
      assert.match(r.detail, /Telegram could not deliver to the webhook at \d{4}-.*Z: Connection refused/);
      assert.match(r.detail, /1 updates wait at Telegram \(0 at the last check\): the webhook does not take them/);
      assert.deepEqual((await ch.health()).problems, [r.detail]);
      fake.webhookUnreachable(false);
      assert.equal(await inbound.next(), 'one');
      await waitFor(() => fake.pending() === 0, 'delivered');
      r = await canary();
      assert.deepEqual([r.ok, r.detail], [true, 'bot @agentnet_test_bot, webhook: 0 pending'], 'the error the last check saw is not new');
      // Another program takes the bot's webhook, then removes it.
      const call = (method: string, body: object) => fetch(`${fake.apiRoot}/bot${fake.token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await call('setWebhook', { url: 'https://elsewhere.example/hook' });
      assert.match((await canary()).detail, /Telegram posts this bot's updates to https:\/\/elsewhere\.example\/hook, not to http:\/\/127\.0\.0\.1:\d+\/: another program registered its own webhook/);
      await call('deleteWebhook', {});
      assert.match((await canary()).detail, /no webhook is set at Telegram/);
      await call('setWebhook', { url, secret_token: 'tg-secret-0123456789' });
      assert.equal((await canary()).ok, true);
      // Answers of the wrong shape.
      fake.garble({ url: 5, pending_update_count: '3' }, 1, 'getWebhookInfo');
      r = await canary();
      assert.equal(r.ok, false);
      assert.match(r.detail, /^cannot read the webhook's state at Telegram: Telegram getWebhookInfo: the answer does not have the documented shape: url: .*expected string.*pending_update_count: .*expected number/);
      fake.garble({ id: 1, is_bot: false, first_name: 'not a bot' }, 1, 'getMe');
      r = await canary();
      assert.match(r.detail, /^Telegram does not answer getMe for this bot: Telegram getMe: the answer does not have the documented shape: is_bot: /);
      assert.ok(!r.detail.includes(fake.token));
      assert.equal((await canary()).ok, true);
      // Silence: no call, and no canary to confirm.
      clock.pass(60_001);
      assert.match((await ch.health()).problems.join(), /^deaf: no webhook call and no confirmation from Telegram for 1 min \(maxSilence 1 min\)/);
    } finally {
      stop.abort();
      await ch.stop();
      await fake.close();
    }
  });

  it('an error Telegram recorded before the channel started is not reported as new', () => {
    const started = Date.parse('2026-05-01T10:00:00Z');
    const info = { url: 'https://bot.example/tg', pending_update_count: 0, last_error_date: started / 1000 - 3600, last_error_message: 'Connection timed out' };
    const first = judgeWebhookInfo(info, { checkedAt: started }, started + 300_000, 'https://bot.example/tg');
    assert.deepEqual([first.problems, first.confirmed], [[], true]);
    const newer = judgeWebhookInfo({ ...info, last_error_date: started / 1000 + 400 }, first.check, started + 600_000, 'https://bot.example/tg');
    assert.deepEqual(newer.problems, ['Telegram could not deliver to the webhook at 2026-05-01T10:06:40.000Z: Connection timed out']);
    assert.equal(newer.confirmed, false);
  });
});
