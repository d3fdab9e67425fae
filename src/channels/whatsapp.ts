/**
 * WhatsApp through Green API. Receives by long-polling the notification queue (deleting a
 * notification only after the relay recorded it) or through a webhook endpoint; sends with
 * sendMessage. Status and state notifications are handled here, never passed on as text.
 */
import { messageOf, type Check } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { backoffMs, pause } from './backoff.ts';
import { DEFAULT_MAX_SILENCE_MS } from '../config/schema.ts';
import type { Channel, ChannelHealth, DeliveryStatus, InboundMessage } from './channel.ts';
import { ChannelError } from './channel.ts';
import { ChannelCondition, expectedReceiveMs } from './channel-health.ts';
import { GREEN_API_MAX_MESSAGE, GreenApiClient, GreenApiError, type GreenApiNotification } from './green-api.ts';
import { startWebhookEndpoint } from './http-endpoint.ts';
import { Inbox } from './inbox.ts';
import { checkNotification } from './payloads.ts';
import { extractText } from './whatsapp-text.ts';

/** An id from a payload that failed its check, for the log: a short string or nothing. */
const shortId = (v: unknown) => (typeof v === 'string' ? v.slice(0, 64) : undefined);

export interface WhatsAppChannelOptions {
  apiUrl: string;
  idInstance: string;
  apiToken: string;
  receive: 'poll' | 'webhook';
  webhook?: { host: string; port: number; token: string };
  /** Long-poll wait, 5–60 s (default 20). */
  receiveTimeoutS?: number;
  /** Webhook mode: the longest silence (no webhook call, no canary confirmation) before the channel is deaf (default 30 min). */
  maxSilenceMs?: number;
  /** The clock health is judged by (default Date.now). */
  now?: () => number;
  logger: Logger;
}

/** What each instance state means for the owner, and what to do about it. */
export const STATE_HINTS: Record<string, string> = {
  notAuthorized: 'the WhatsApp account is not linked: scan the QR code in the Green API console',
  blocked: 'WhatsApp blocked this number; nothing can be sent or received until it is unblocked',
  yellowCard: 'WhatsApp suspended sending for suspected spam (yellow card); sending resumes when it lifts',
  suspended: 'the Green API instance is suspended: check the account in the Green API console',
  starting: 'the instance is starting (up to 5 minutes)',
  sleepMode: 'the instance is asleep: open WhatsApp on the phone',
};

/** The hint for a Green API instance state; only the states we know (never an Object.prototype member). */
export const stateHint = (s: string): string | undefined => (Object.hasOwn(STATE_HINTS, s) ? STATE_HINTS[s] : undefined);

export function createWhatsAppChannel(o: WhatsAppChannelOptions): Channel {
  const client = new GreenApiClient({ apiUrl: o.apiUrl, idInstance: o.idInstance, apiToken: o.apiToken });
  const wait = Math.min(60, Math.max(5, o.receiveTimeoutS ?? 20));
  const health = new ChannelCondition({
    mode: o.receive,
    expectedWithinMs: expectedReceiveMs(o.receive, { receiveTimeoutS: wait, maxSilenceMs: o.maxSilenceMs ?? DEFAULT_MAX_SILENCE_MS }),
    now: o.now ?? Date.now,
    provider: 'Green API',
  });
  let state = 'unknown';
  /** The webhook queue's length at the last canary (webhook mode). */
  let queued: number | undefined;
  const deliveryListeners: Array<(s: DeliveryStatus) => void> = [];
  const inbox = new Inbox();
  let endpoint: { url: string; close(): Promise<void> } | undefined;

  const setState = (s: string, how: string) => {
    if (s !== state) o.logger[s === 'authorized' ? 'info' : 'warn']({ state: s, hint: stateHint(s) }, how);
    state = s;
    health.set('state', s === 'authorized' ? undefined : `the WhatsApp instance is ${s}: ${stateHint(s) ?? 'not ready (see the instance in the Green API console)'}`);
  };

  /** Reads the instance state; throws only when the credentials are wrong (a read that fails otherwise is a problem in health). */
  const checkState = async () => {
    try {
      setState(await client.getStateInstance(), 'WhatsApp instance state');
      health.set('state-read', undefined);
    } catch (err) {
      health.set('state-read', `cannot read the WhatsApp instance state: ${(err as Error).message}`);
      if (err instanceof GreenApiError && (err.status === 401 || err.status === 403)) throw err;
      o.logger.warn({ err: (err as Error).message }, 'cannot read the WhatsApp instance state');
    }
  };

  /** Webhook mode: an empty incoming queue confirms nothing waits for us; a growing one says the webhook does not take it. */
  const checkWebhookQueue = async (): Promise<string> => {
    try {
      const count = await client.getWebhooksCount();
      const growing = queued !== undefined && count > queued;
      health.set('webhook', growing ? `${count} notifications wait at Green API (${queued} at the last check): they are not reaching the webhook; check that Green API can reach it` : undefined);
      if (count === 0) health.heard();
      queued = count;
      return `, ${count} notifications waiting`;
    } catch (err) {
      health.set('webhook', `cannot read Green API's webhook queue: ${(err as Error).message}`);
      return ''; // the problem is the canary's detail
    }
  };

  /** Turns a notification into a message for the relay, or handles it here (statuses, states, malformed ones). */
  const interpret = (raw: unknown): InboundMessage | undefined => {
    const checked = checkNotification(raw);
    if (!checked.ok) {
      const r = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
      o.logger.warn({ typeWebhook: shortId(r.typeWebhook), idMessage: shortId(r.idMessage), problems: checked.problems }, 'WhatsApp notification does not have the documented shape; acknowledged and skipped');
      return undefined;
    }
    const notice = checked.value;
    if (notice.kind === 'incoming') {
      const body = notice.n;
      const sd = body.senderData;
      const got = extractText(body.messageData);
      if ('skip' in got) {
        o.logger.info({ idMessage: body.idMessage, why: got.skip }, 'WhatsApp message without text; skipped');
        return undefined;
      }
      return {
        key: `${sd.chatId}_${body.idMessage}`,
        chatId: sd.chatId,
        sender: (sd.sender ?? sd.chatId).replace(/@.*$/, ''),
        ...(sd.senderName ? { senderName: sd.senderName } : {}),
        text: got.text,
        at: body.timestamp !== undefined && body.timestamp > 0 ? body.timestamp * 1000 : Date.now(),
      };
    }
    if (notice.kind === 'status') {
      const s = { providerId: notice.n.idMessage, chatId: notice.n.chatId, status: notice.n.status };
      if (['failed', 'noAccount', 'notInGroup', 'yellowCard'].includes(s.status)) o.logger.warn(s, 'WhatsApp reports a message not delivered');
      for (const l of deliveryListeners) l(s);
      return undefined;
    }
    if (notice.kind === 'state') {
      setState(notice.n.stateInstance, 'WhatsApp instance state changed');
      return undefined;
    }
    o.logger.debug({ type: notice.type }, 'WhatsApp notification ignored');
    return undefined;
  };

  async function* poll(signal: AbortSignal): AsyncGenerator<InboundMessage> {
    let failures = 0;
    while (!signal.aborted) {
      let n: GreenApiNotification | null;
      try {
        n = await client.receiveNotification(wait, signal);
        failures = 0;
        health.set('receive', undefined);
        health.heard();
        // Green API answers again: a state that could not be read during the outage is read now.
        if (health.has('state-read')) await checkState().catch((e) => o.logger.debug({ err: (e as Error).message }, 'WhatsApp instance state not read'));
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const why = (err as Error).message;
        health.set('receive', `receiving failed ${failures} times in a row: ${why}`);
        o.logger.warn({ err: why, failures }, 'WhatsApp receive failed; retrying');
        if (failures === 1 || failures % 10 === 0) await checkState().catch((e) => o.logger.debug({ err: (e as Error).message }, 'WhatsApp instance state not read'));
        await pause(backoffMs(failures), signal);
        continue;
      }
      if (!n) continue;
      const message = interpret(n.body);
      if (message) yield message; // the consumer records it before asking for the next one
      // Delete only now; retried until Green API takes it, else the next poll returns it again (a dedupe catches it).
      for (let attempt = 1; !signal.aborted; attempt++) {
        try {
          await client.deleteNotification(n.receiptId);
          break;
        } catch (err) {
          if (attempt >= 5 || !(err instanceof ChannelError && err.retryable)) {
            o.logger.warn({ receiptId: n.receiptId, err: (err as Error).message }, 'could not delete a WhatsApp notification; it will be received again and deduplicated');
            break;
          }
          await pause(backoffMs(attempt), signal);
        }
      }
    }
  }

  return {
    type: 'whatsapp',
    maxLength: GREEN_API_MAX_MESSAGE,

    async start() {
      await checkState();
      health.watch();
      if (o.receive === 'webhook') {
        const w = o.webhook;
        if (!w) throw new ChannelError('whatsapp receive is "webhook" but channel.webhook (host, port, token) is not set', { retryable: false });
        endpoint = await startWebhookEndpoint({
          host: w.host,
          port: w.port,
          token: w.token,
          present: (h) => h.authorization?.replace(/^Bearer\s+/i, ''),
          handle: async (body) => {
            health.heard();
            const m = interpret(body);
            if (!m) return 200; // handled here, or malformed: acknowledged either way, else it comes back for 24 h
            // Answered once the relay recorded it; else Green API sends it again.
            return (await inbox.put(m)) ? 200 : 503;
          },
        });
        o.logger.info({ url: endpoint.url }, 'WhatsApp webhook endpoint listening');
      }
    },

    receive(signal) {
      return o.receive === 'webhook' ? inbox.stream(signal) : poll(signal);
    },

    async send(chatId, text) {
      try {
        return await client.sendMessage(chatId, text);
      } catch (err) {
        if (err instanceof GreenApiError && err.status === 400) {
          // 400 also means "instance starting / not authorized": then the reply waits, it is not wrong.
          await checkState().catch((e) => o.logger.debug({ err: (e as Error).message }, 'WhatsApp instance state not read'));
          if (state !== 'authorized') throw new ChannelError(`${err.message} (instance ${state}: ${stateHint(state) ?? 'not ready'}; the reply waits)`, { status: 400, retryable: true, cause: err });
        }
        throw err;
      }
    },

    async health(): Promise<ChannelHealth> {
      return health.report(state);
    },

    async canary() {
      await checkState().catch(() => undefined); // a refused token is recorded as the state-read problem
      const queue = o.receive === 'webhook' ? await checkWebhookQueue() : '';
      const found = health.problemsOf(['state', 'state-read', 'webhook']);
      return health.canaryDone(found.length === 0, found.length ? found.join('; ') : `instance ${state}${queue}`);
    },

    onDelivery: (l) => void deliveryListeners.push(l),

    async stop() {
      inbox.close();
      await endpoint?.close();
    },
  };
}

/** The Green API instance checks itself for `agentnet doctor`: the token works and the account is linked. */
export async function checkWhatsApp(check: string, o: { apiUrl: string; idInstance: string; apiToken: string; timeoutMs: number }): Promise<Check> {
  const client = new GreenApiClient({ apiUrl: o.apiUrl, idInstance: o.idInstance, apiToken: o.apiToken, timeoutMs: o.timeoutMs });
  try {
    const state = await client.getStateInstance();
    if (state === 'authorized') return { check, status: 'ok', detail: `instance ${o.idInstance} is authorized` };
    return { check, status: 'fail', detail: `instance ${o.idInstance} is ${state}`, fix: stateHint(state) ?? 'see the instance in the Green API console' };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401) return { check, status: 'fail', detail: `Green API refused the apiToken of instance ${o.idInstance} (HTTP 401)`, fix: 'copy the apiTokenInstance from the Green API console into the channel\'s apiToken (its ${VAR})' };
    if (status === 403) return { check, status: 'fail', detail: `Green API does not know instance ${o.idInstance} with this token (HTTP 403)`, fix: 'check idInstance and apiUrl against the Green API console' };
    return { check, status: 'fail', detail: `Green API unreachable: ${messageOf(err)}`, fix: `check the network and apiUrl (${o.apiUrl})` };
  }
}
