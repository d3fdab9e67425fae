/**
 * WhatsApp through Green API. Receives by long-polling the notification queue (deleting a
 * notification only after the relay recorded it) or through a webhook endpoint; sends with
 * sendMessage. Status and state notifications are handled here, never passed on as text.
 */
import type { Logger } from '../log/logger.ts';
import { backoffMs, pause } from './backoff.ts';
import type { Channel, ChannelHealth, DeliveryStatus, InboundMessage } from './channel.ts';
import { ChannelError } from './channel.ts';
import { GREEN_API_MAX_MESSAGE, GreenApiClient, GreenApiError, type GreenApiNotification } from './green-api.ts';
import { startWebhookEndpoint } from './http-endpoint.ts';
import { Inbox } from './inbox.ts';
import { extractText } from './whatsapp-text.ts';

export interface WhatsAppChannelOptions {
  apiUrl: string;
  idInstance: string;
  apiToken: string;
  receive: 'poll' | 'webhook';
  webhook?: { host: string; port: number; token: string };
  /** Long-poll wait, 5–60 s (default 20). */
  receiveTimeoutS?: number;
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

export function createWhatsAppChannel(o: WhatsAppChannelOptions): Channel {
  const client = new GreenApiClient({ apiUrl: o.apiUrl, idInstance: o.idInstance, apiToken: o.apiToken });
  const wait = Math.min(60, Math.max(5, o.receiveTimeoutS ?? 20));
  let state = 'unknown';
  let lastError: string | undefined;
  const deliveryListeners: Array<(s: DeliveryStatus) => void> = [];
  const inbox = new Inbox();
  let endpoint: { url: string; close(): Promise<void> } | undefined;

  const checkState = async () => {
    try {
      const s = await client.getStateInstance();
      if (s !== state) o.logger[s === 'authorized' ? 'info' : 'warn']({ state: s, hint: STATE_HINTS[s] }, 'WhatsApp instance state');
      state = s;
      lastError = undefined;
    } catch (err) {
      lastError = (err as Error).message;
      if (err instanceof GreenApiError && (err.status === 401 || err.status === 403)) throw err;
      o.logger.warn({ err: lastError }, 'cannot read the WhatsApp instance state');
    }
  };

  /** Turns a notification into a message for the relay, or handles it here (statuses, states). */
  const interpret = (body: Record<string, unknown>): InboundMessage | undefined => {
    const type = String(body.typeWebhook ?? '');
    if (type === 'incomingMessageReceived') {
      const sd = (body.senderData ?? {}) as Record<string, unknown>;
      const chatId = String(sd.chatId ?? '');
      const idMessage = String(body.idMessage ?? '');
      const got = extractText(body.messageData);
      if (!chatId || !idMessage) {
        o.logger.warn({ type }, 'WhatsApp notification without chatId or idMessage; skipped');
        return undefined;
      }
      if ('skip' in got) {
        o.logger.info({ idMessage, why: got.skip }, 'WhatsApp message without text; skipped');
        return undefined;
      }
      const sender = String(sd.sender ?? chatId).replace(/@.*$/, '');
      const ts = Number(body.timestamp);
      return {
        key: `${chatId}_${idMessage}`,
        chatId,
        sender,
        ...(typeof sd.senderName === 'string' && sd.senderName ? { senderName: sd.senderName } : {}),
        text: got.text,
        at: Number.isFinite(ts) && ts > 0 ? ts * 1000 : Date.now(),
      };
    }
    if (type === 'outgoingMessageStatus') {
      const s = { providerId: String(body.idMessage ?? ''), chatId: String(body.chatId ?? ''), status: String(body.status ?? '') };
      if (['failed', 'noAccount', 'notInGroup', 'yellowCard'].includes(s.status)) o.logger.warn(s, 'WhatsApp reports a message not delivered');
      for (const l of deliveryListeners) l(s);
      return undefined;
    }
    if (type === 'stateInstanceChanged') {
      const s = String(body.stateInstance ?? 'unknown');
      o.logger[s === 'authorized' ? 'info' : 'warn']({ state: s, hint: STATE_HINTS[s] }, 'WhatsApp instance state changed');
      state = s;
      return undefined;
    }
    o.logger.debug({ type }, 'WhatsApp notification ignored');
    return undefined;
  };

  async function* poll(signal: AbortSignal): AsyncGenerator<InboundMessage> {
    let failures = 0;
    while (!signal.aborted) {
      let n: GreenApiNotification | null;
      try {
        n = await client.receiveNotification(wait, signal);
        failures = 0;
        lastError = undefined;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        lastError = (err as Error).message;
        o.logger.warn({ err: lastError, failures }, 'WhatsApp receive failed; retrying');
        if (failures === 1 || failures % 10 === 0) await checkState().catch(() => undefined);
        await pause(backoffMs(failures), signal);
        continue;
      }
      if (!n) continue;
      const message = n.body && typeof n.body === 'object' ? interpret(n.body) : undefined;
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
      if (o.receive === 'webhook') {
        const w = o.webhook;
        if (!w) throw new ChannelError('whatsapp receive is "webhook" but channel.webhook (host, port, token) is not set', { retryable: false });
        endpoint = await startWebhookEndpoint({
          host: w.host,
          port: w.port,
          token: w.token,
          present: (h) => h.authorization?.replace(/^Bearer\s+/i, ''),
          handle: async (body) => {
            const m = body && typeof body === 'object' ? interpret(body as Record<string, unknown>) : undefined;
            if (!m) return 200;
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
          await checkState().catch(() => undefined);
          if (state !== 'authorized') throw new ChannelError(`${err.message} (instance ${state}: ${STATE_HINTS[state] ?? 'not ready'}; the reply waits)`, { status: 400, retryable: true, cause: err });
        }
        throw err;
      }
    },

    async health(): Promise<ChannelHealth> {
      const ok = state === 'authorized' && !lastError;
      const detail = lastError ?? STATE_HINTS[state];
      return { ok, state, ...(detail ? { detail } : {}) };
    },

    onDelivery: (l) => void deliveryListeners.push(l),

    async stop() {
      inbox.close();
      await endpoint?.close();
    },
  };
}
