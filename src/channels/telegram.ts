/**
 * Telegram through the Bot API, with grammY's `Api` (its `apiRoot` option points it at a fake
 * in tests). Receives by long-polling getUpdates, confirming an update (the next offset) only
 * after the relay recorded it, or through a webhook checking the secret-token header. Sends with
 * an inline keyboard when a message has buttons; answers taps and edits what it sent.
 */
import type { Api } from 'grammy';
import { messageOf, type Check } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { backoffMs, pause } from './backoff.ts';
import { DEFAULT_MAX_SILENCE_MS } from '../config/schema.ts';
import { ChannelError, type Channel, type ChannelHealth, type InboundMessage } from './channel.ts';
import { ChannelCondition, expectedReceiveMs } from './channel-health.ts';
import { startWebhookEndpoint } from './http-endpoint.ts';
import { Inbox } from './inbox.ts';
import { readUpdate, TELEGRAM_UPDATES, updateIdOf } from './telegram-update.ts';
import { checkPayload, telegramBot, telegramWebhookInfo } from './payloads.ts';
import { judgeWebhookInfo, type WebhookCheck } from './telegram-webhook-info.ts';

export interface TelegramChannelOptions {
  token: string;
  apiRoot?: string;
  receive: 'poll' | 'webhook';
  /** `url` is the public address Telegram posts to (registered with setWebhook at start). */
  webhook?: { host: string; port: number; secret: string; url?: string };
  /** getUpdates wait in seconds (default 25). */
  pollTimeoutS?: number;
  /** Webhook mode: the longest silence (no webhook call, no canary confirmation) before the channel is deaf (default 30 min). */
  maxSilenceMs?: number;
  /** The clock health is judged by (default Date.now). */
  now?: () => number;
  logger: Logger;
}

export const TELEGRAM_MAX_MESSAGE = 4096;
/** The longest notice answerCallbackQuery shows. */
const TELEGRAM_MAX_NOTICE = 200;

// grammY (with its fetch shims, ~17 MiB resident) is loaded by the first Telegram channel or
// alert, not by every agent that imports the channels folder.
let grammy: typeof import('grammy') | undefined;
export async function loadGrammy(): Promise<typeof import('grammy')> {
  return (grammy ??= await import('grammy'));
}

/** grammY types its signal with an old shim's AbortSignal; Node's own works at run time. */
type GrammySignal = Parameters<Api['getUpdates']>[1];

/** A grammY error as a ChannelError: retryable or not, and Telegram's retry_after. */
export function telegramError(err: unknown, token: string, what: string): ChannelError {
  const redact = (s: string) => s.split(token).join('***');
  if (grammy && err instanceof grammy.GrammyError) {
    const code = err.error_code;
    const retryAfter = err.parameters.retry_after;
    const hint = code === 401 || code === 404 ? ' (check the bot token from @BotFather)' : code === 403 ? ' (the user blocked the bot or never started it)' : '';
    return new ChannelError(redact(`Telegram ${what}: ${code} ${err.description}${hint}`), {
      status: code,
      retryable: code === 429 || code >= 500,
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter * 1000 } : {}),
      cause: err,
    });
  }
  const why = grammy && err instanceof grammy.HttpError ? String((err.error as Error)?.message ?? err.message) : (err as Error).message;
  return new ChannelError(redact(`Telegram ${what}: cannot reach the Bot API (${why})`), { status: 0, retryable: true, cause: err });
}

/** An answer that did not have the documented shape, as the ChannelError a failed call would be. */
const malformed = (method: string, problems: string) => new ChannelError(`Telegram ${method}: the answer does not have the documented shape: ${problems}`, { status: 502, retryable: true });

export function createTelegramChannel(o: TelegramChannelOptions): Channel {
  const wait = o.pollTimeoutS ?? 25;
  const now = o.now ?? Date.now;
  // A stalled request must not hold the outbox for grammY's default 500 s: the long poll's wait plus a margin.
  let client: Api | undefined;
  const api = async () =>
    (client ??= new (await loadGrammy()).Api(o.token, { timeoutSeconds: wait + 15, ...(o.apiRoot ? { apiRoot: o.apiRoot.replace(/\/+$/, '') } : {}) }));
  const inbox = new Inbox();
  let endpoint: { url: string; close(): Promise<void> } | undefined;
  let state = 'unknown';
  const health = new ChannelCondition({ mode: o.receive, expectedWithinMs: expectedReceiveMs(o.receive, { receiveTimeoutS: wait, maxSilenceMs: o.maxSilenceMs ?? DEFAULT_MAX_SILENCE_MS }), now, provider: 'Telegram' });
  let webhookCheck: WebhookCheck = { checkedAt: now() };

  /** getMe, checked: the bot's username. Throws a ChannelError. */
  const checkBot = async (): Promise<string> => {
    let raw: unknown;
    try {
      raw = await (await api()).getMe();
    } catch (err) {
      throw telegramError(err, o.token, 'getMe');
    }
    const me = checkPayload(telegramBot, raw);
    if (!me.ok) throw malformed('getMe', me.problems);
    health.set('bot', undefined);
    return me.value.username;
  };

  /** Webhook mode: what Telegram says about the webhook (ours? failing? piling up?); an empty queue confirms nothing waits. */
  const checkWebhook = async (): Promise<string> => {
    try {
      let raw: unknown;
      try {
        raw = await (await api()).getWebhookInfo();
      } catch (err) {
        throw telegramError(err, o.token, 'getWebhookInfo');
      }
      const info = checkPayload(telegramWebhookInfo, raw);
      if (!info.ok) throw malformed('getWebhookInfo', info.problems);
      const j = judgeWebhookInfo(info.value, webhookCheck, now(), o.webhook?.url);
      webhookCheck = j.check;
      health.set('webhook', j.problems.length ? j.problems.join('; ') : undefined);
      if (j.confirmed) health.heard();
      return `, webhook: ${info.value.pending_update_count} pending`;
    } catch (err) {
      health.set('webhook', `cannot read the webhook's state at Telegram: ${(err as Error).message}`);
      return '';
    }
  };

  /** Answers a tap the relay never sees (not ours, or malformed), so the phone's spinner stops; best effort. */
  const answerEmpty = async (tapId: string, signal?: AbortSignal) => {
    try {
      await (await api()).answerCallbackQuery(tapId, {}, signal as unknown as GrammySignal);
    } catch (err) {
      o.logger.debug({ err: telegramError(err, o.token, 'answerCallbackQuery').message }, 'a skipped tap not answered');
    }
  };
  /** An update as a message for the relay, or nothing (a skipped tap answered first). */
  const toMessage = async (raw: unknown, signal?: AbortSignal): Promise<InboundMessage | undefined> => {
    const r = readUpdate(raw, o.logger);
    if (r.answerEmpty) await answerEmpty(r.answerEmpty, signal);
    return r.message;
  };

  async function* poll(signal: AbortSignal): AsyncGenerator<InboundMessage> {
    let offset: number | undefined;
    let failures = 0;
    while (!signal.aborted) {
      let updates: unknown[];
      try {
        // The offset confirms every earlier update: they were recorded before this call.
        updates = await (await api()).getUpdates({ ...(offset !== undefined ? { offset } : {}), timeout: wait, allowed_updates: TELEGRAM_UPDATES }, signal as unknown as GrammySignal);
        failures = 0;
        state = 'polling';
        health.set('receive', undefined);
        health.set('bot', undefined); // getUpdates answered for this token
        health.heard();
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const e = telegramError(err, o.token, 'getUpdates');
        health.set('receive', `receiving failed ${failures} times in a row: ${e.message}`);
        state = e.status === 409 ? 'webhook-set' : 'error';
        o.logger.warn({ err: e.message, failures }, 'Telegram receive failed; retrying');
        await pause(e.retryAfterMs ?? backoffMs(failures), signal);
        continue;
      }
      for (const u of updates) {
        const m = await toMessage(u, signal);
        if (m) yield m;
        // Confirmed with the next getUpdates, malformed or not: Telegram would otherwise send it again and again.
        const id = updateIdOf(u);
        if (id !== undefined) offset = Math.max(offset ?? 0, id + 1);
      }
    }
  }

  return {
    type: 'telegram',
    maxLength: TELEGRAM_MAX_MESSAGE,

    async start() {
      health.watch();
      try {
        o.logger.info({ bot: await checkBot() }, 'Telegram bot');
        state = 'connected';
        if (o.receive === 'poll') await (await api()).deleteWebhook(); // getUpdates answers 409 while a webhook is set
      } catch (err) {
        const e = err instanceof ChannelError ? err : telegramError(err, o.token, 'start');
        if (!e.retryable) throw e;
        health.set('bot', `Telegram not reachable: ${e.message}`);
        o.logger.warn({ err: e.message }, 'Telegram not reachable at start; retrying in the background');
      }
      if (o.receive === 'webhook') {
        const w = o.webhook;
        if (!w) throw new ChannelError('telegram receive is "webhook" but channel.webhook (host, port, secret) is not set', { retryable: false });
        endpoint = await startWebhookEndpoint({
          host: w.host,
          port: w.port,
          token: w.secret,
          present: (h) => {
            const v = h['x-telegram-bot-api-secret-token'];
            return Array.isArray(v) ? v[0] : v;
          },
          handle: async (body) => {
            health.heard();
            const m = await toMessage(body);
            if (!m) return 200; // without text or data, or malformed: acknowledged either way, else Telegram sends it again
            return (await inbox.put(m)) ? 200 : 503;
          },
        });
        if (w.url) {
          try {
            await (await api()).setWebhook(w.url, { secret_token: w.secret, allowed_updates: TELEGRAM_UPDATES });
          } catch (err) {
            await endpoint.close();
            endpoint = undefined;
            throw telegramError(err, o.token, 'setWebhook');
          }
        }
        state = 'webhook';
      }
    },

    receive(signal) {
      return o.receive === 'webhook' ? inbox.stream(signal) : poll(signal);
    },

    async send(chatId, text, options) {
      const buttons = options?.buttons ?? [];
      // An inline keyboard of one row: a tap comes back as a callback query with the button's data.
      const markup = buttons.length ? { reply_markup: { inline_keyboard: [buttons.map((b) => ({ text: b.text, callback_data: b.data }))] } } : {};
      try {
        const sent = await (await api()).sendMessage(chatId, text, markup);
        return String(sent.message_id);
      } catch (err) {
        throw telegramError(err, o.token, 'sendMessage');
      }
    },

    async answerTap(tapId, notice) {
      try {
        await (await api()).answerCallbackQuery(tapId, notice ? { text: notice.slice(0, TELEGRAM_MAX_NOTICE) } : {});
      } catch (err) {
        throw telegramError(err, o.token, 'answerCallbackQuery');
      }
    },

    async edit(chatId, messageId, text) {
      try {
        // Without reply_markup, the edit takes the message's inline keyboard away.
        await (await api()).editMessageText(chatId, Number(messageId), text.slice(0, TELEGRAM_MAX_MESSAGE));
      } catch (err) {
        throw telegramError(err, o.token, 'editMessageText');
      }
    },

    async health(): Promise<ChannelHealth> {
      return health.report(state);
    },

    async canary() {
      let detail = '';
      try {
        detail = `bot @${await checkBot()}`;
      } catch (err) {
        health.set('bot', `Telegram does not answer getMe for this bot: ${(err as Error).message}`);
      }
      if (o.receive === 'webhook') detail += await checkWebhook();
      const found = health.problemsOf(['bot', 'webhook']);
      return health.canaryDone(found.length === 0, found.length ? found.join('; ') : detail);
    },

    async stop() {
      inbox.close();
      await endpoint?.close();
    },
  };
}

/** The bot checks itself for `agentnet doctor`: Telegram knows its token. */
export async function checkTelegram(check: string, o: { token: string; apiRoot?: string; timeoutMs: number }): Promise<Check> {
  const { Api } = await loadGrammy();
  const api = new Api(o.token, { timeoutSeconds: Math.ceil(o.timeoutMs / 1000), ...(o.apiRoot ? { apiRoot: o.apiRoot.replace(/\/+$/, '') } : {}) });
  try {
    const me = await api.getMe();
    return { check, status: 'ok', detail: `bot @${me.username}` };
  } catch (err) {
    const code = (err as { error_code?: number }).error_code;
    if (code === 401 || code === 404) return { check, status: 'fail', detail: `Telegram refused the bot token (${code}: ${(err as { description?: string }).description ?? 'Unauthorized'})`, fix: 'put the token @BotFather gave you in the channel\'s token (its ${VAR})' };
    return { check, status: 'fail', detail: `Telegram unreachable: ${messageOf(err).replaceAll(o.token, '<token>')}`, fix: `check the network${o.apiRoot ? ` and apiRoot (${o.apiRoot})` : ''}` };
  }
}
