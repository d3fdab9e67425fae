/**
 * A fake Telegram Bot API server speaking the wire format of ../shared/specs/channels.md:
 * `{apiRoot}/bot<token>/<method>` with JSON (also query and urlencoded) parameters, answering
 * `{"ok":true,"result":…}` or `{"ok":false,"error_code":N,"description":…}`. It implements what
 * grammY's `bot.start()` and a relay need (getMe, deleteWebhook, setWebhook, getWebhookInfo,
 * getUpdates as a long poll, sendMessage), delivers updates to a webhook (FIFO, retried; a failed
 * delivery is getWebhookInfo's last_error_date and last_error_message), records what was sent and
 * lets a test inject faults (429 with retry_after, any error status, 502 outages, requests that hang
 * unanswered, results of the wrong shape, an unreachable webhook). Inline keyboards too:
 * sendMessage's `reply_markup` is checked and kept with the message, a test taps a button
 * (`tap`: a `callback_query` update of the real shape), and answerCallbackQuery,
 * editMessageText and editMessageReplyMarkup answer as Telegram does (an unknown or already
 * answered query, a message not found, an edit that changes nothing: 400).
 */
import { postWebhook } from './webhook-post.ts';
import { createServer, STATUS_CODES, type ServerResponse } from 'node:http';

/** A button of an inline keyboard, as sent. */
export interface TelegramButton {
  text: string;
  callback_data?: string;
  [field: string]: unknown;
}

export interface TelegramSent {
  /** chat_id as sent, stringified. */
  chat_id: string;
  text: string;
  message_id: number;
  at: number;
  /** The inline keyboard it was sent with, rows of buttons. */
  inline_keyboard?: TelegramButton[][];
}

/** A message the bot sent, as it stands now (after edits). */
export interface TelegramMessageNow {
  chat_id: string;
  message_id: number;
  text: string;
  /** Absent once an edit took the keyboard away. */
  inline_keyboard?: TelegramButton[][];
  edits: number;
}

export interface TelegramTap {
  /** Who taps. */
  fromId: number;
  /** The bot's message whose button is tapped. */
  messageId: number;
  /** The chat the message is in; default: the chat the fake sent it to, else fromId. */
  chatId?: number;
  /** The button's data, as the phone sends it back (any value: a hostile client could). */
  data: unknown;
  firstName?: string;
}

/** answerCallbackQuery calls that Telegram took. */
export interface TelegramAnswer {
  callback_query_id: string;
  text?: string;
  show_alert?: boolean;
  at: number;
}

export interface TelegramUpdate {
  update_id: number;
  message?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface TelegramIncoming {
  fromId: number;
  text: string;
  /** Defaults to fromId (a private chat); a different id makes a group chat. */
  chatId?: number;
  firstName?: string;
  username?: string;
  languageCode?: string;
}

export interface FakeTelegramOptions {
  token?: string;
  /** Pause before a failed webhook delivery is resent. Default 1000. */
  webhookRetryMs?: number;
}

export interface FakeTelegram {
  /** For grammY's `client.apiRoot`, e.g. http://127.0.0.1:4321 (no trailing slash). */
  apiRoot: string;
  token: string;
  botId: number;
  sent: TelegramSent[];
  /** Every request: the canonical method name (as given when unknown), its parameters. */
  calls: Array<{ method: string; at: number; body: Record<string, unknown> }>;
  /** Every webhook POST attempt; status 0 = connection error or timeout. */
  webhookAttempts: Array<{ update_id: number; status: number; at: number }>;
  /** Queue a text message Update; returns its update_id. */
  incoming(o: TelegramIncoming): number;
  /** Queue an Update as given (fields may be of any type, as a hostile sender could make them); its update_id is assigned. Returns it. */
  update(fields: Record<string, unknown>): number;
  /** Someone taps a button under a bot's message: queues a `callback_query` Update; returns its update_id and the query's id. */
  tap(o: TelegramTap): { updateId: number; queryId: string };
  /** The bot's message as it stands now; undefined when the fake never sent it. */
  message(chatId: number | string, messageId: number): TelegramMessageNow | undefined;
  /** Every answerCallbackQuery Telegram accepted, in order. */
  answers: TelegramAnswer[];
  /** Resolves with the accepted answer to the query (already given or future); rejects after timeoutMs. */
  waitForAnswer(queryId: string, timeoutMs?: number): Promise<TelegramAnswer>;

  /** Telegram sends an update again, the same update_id, as when the bot's confirmation never reached it (the bot died first). */
  redeliver(updateId: number): void;
  /** Updates not yet confirmed (getUpdates offset) or delivered (webhook). */
  pending(): number;
  sentTo(chatId: number | string): string[];
  /** Resolves with the first sent message (already sent or future) matching; rejects after timeoutMs. */
  waitForSent(predicate: (m: TelegramSent) => boolean, timeoutMs?: number): Promise<TelegramSent>;
  /** The next `times` calls of `method` answer 429 with parameters.retry_after. */
  rateLimit(retryAfterSeconds: number, times?: number, method?: string): void;
  /** The next `times` calls (of `method` only, when given) answer `status`. */
  fail(status: number, times?: number, method?: string): void;
  /** Every request answers 502 Bad Gateway until up(). */
  down(): void;
  up(): void;
  /** Calls of `method` are accepted and never answered, no error, until unhang(): then they are handled as usual. */
  hang(method: string): void;
  unhang(): void;
  /** Calls of `method` waiting in a hang now. */
  hanging(method: string): number;
  /** The next `times` calls of `method` answer `{"ok":true,"result":<result>}` with this result as it is (of the wrong shape). */
  garble(result: unknown, times?: number, method?: string): void;
  /** Telegram cannot reach the webhook (as if its address stopped resolving): deliveries fail unsent, updates pile up. */
  webhookUnreachable(unreachable: boolean): void;
  close(): Promise<void>;
}

type Params = Record<string, unknown>;
type Reply = [status: number, body: unknown];
type Fault = { method?: string; status: number; retryAfter?: number; result?: unknown };

const METHODS = ['getMe', 'deleteWebhook', 'setWebhook', 'getWebhookInfo', 'getUpdates', 'sendMessage', 'answerCallbackQuery', 'editMessageText', 'editMessageReplyMarkup'];
const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden: bot was blocked by the user',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
};

const ok = (result: unknown): Reply => [200, { ok: true, result }];
const error = (status: number, description = DESCRIPTIONS[status] ?? `Error ${status}`, retryAfter?: number): Reply => [
  status,
  { ok: false, error_code: status, description, ...(retryAfter === undefined ? {} : { parameters: { retry_after: retryAfter } }) },
];
const tooMany = (seconds: number) => error(429, `Too Many Requests: retry after ${seconds}`, seconds);
const truthy = (v: unknown) => v === true || v === 'true' || v === '1';
const int = (v: unknown, fallback: number) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? fallback : Math.trunc(Number(v)));

const NOT_MODIFIED = 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const QUERY_INVALID = 'Bad Request: query is too old and response timeout expired or query ID is invalid';

/** A reply_markup's inline keyboard as Telegram checks it (JSON, or a JSON string when form-encoded): the rows, none, or what is wrong. */
function inlineKeyboardOf(raw: unknown): { rows?: TelegramButton[][] } | { error: string } {
  if (raw === undefined) return {};
  let markup = raw;
  if (typeof markup === 'string') {
    try {
      markup = JSON.parse(markup);
    } catch {
      return { error: "Bad Request: can't parse reply keyboard markup JSON object" };
    }
  }
  const rows = markup && typeof markup === 'object' ? (markup as { inline_keyboard?: unknown }).inline_keyboard : undefined;
  if (rows === undefined) return {}; // another kind of keyboard: not modelled, not kept
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) return { error: 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays' };
  for (const b of rows.flat() as unknown[]) {
    const button = b as TelegramButton | null;
    if (!button || typeof button !== 'object' || typeof button.text !== 'string' || !button.text) return { error: 'Bad Request: can\'t parse inline keyboard button: Text buttons are unallowed in the inline keyboard' };
    const data = button.callback_data;
    if (data !== undefined && (typeof data !== 'string' || !data || Buffer.byteLength(data) > 64)) return { error: 'Bad Request: BUTTON_DATA_INVALID' };
  }
  return { rows: rows as TelegramButton[][] };
}

/** Wakes everyone waiting; `wait(ms)` resolves on the next wake or after ms. */
function signal() {
  const waiters = new Set<() => void>();
  return {
    wake: () => [...waiters].forEach((w) => w()),
    wait: (ms: number) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      }),
  };
}

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123456:ABC-fake-token';
  const webhookRetryMs = options.webhookRetryMs ?? 1000;
  const botId = Number(token.split(':')[0]) || 123456;
  const botUser = {
    id: botId,
    is_bot: true,
    first_name: 'agentnet test',
    username: 'agentnet_test_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };

  let queue: TelegramUpdate[] = [];
  let nextUpdateId = 10001;
  let nextMessageId = 42;
  let nextQuery = 1;
  /** The bot's messages as they stand now, by `${chat}:${message_id}`, with their send time (Unix s). */
  const messages = new Map<string, TelegramMessageNow & { date: number }>();
  /** Callback queries handed out by tap(), and whether answered. */
  const queries = new Map<string, boolean>();
  const answered = signal();
  const faults: Fault[] = [];
  let isDown = false;
  let closed = false;
  let webhook: { url: string; secret?: string } | undefined;
  let delivering = false;
  let webhookCut = false;
  /** The last failed webhook delivery, as getWebhookInfo reports it. */
  let lastError: { date: number; message: string } | undefined;
  const hung = new Set<string>();
  const hangers: Array<{ method: string; release: () => void }> = [];
  let pollGeneration = 0; // a newer getUpdates ends an older waiting one with 409, like the real API
  const queued = signal();
  const webhookChanged = signal();
  const sentSignal = signal();
  const closing = new AbortController();

  /** Every update ever queued, for redeliver. */
  const history = new Map<number, TelegramUpdate>();
  const push = (update: TelegramUpdate) => {
    history.set(update.update_id, update);
    queue.push(update);
    queued.wake();
    void deliver();
    return update.update_id;
  };

  async function deliver() {
    if (delivering) return;
    delivering = true;
    try {
      while (webhook && !closed) {
        const head = queue[0];
        if (!head) break;
        const target = webhook;
        const status = webhookCut ? 0 : await postWebhook(target.url, target.secret ? { 'x-telegram-bot-api-secret-token': target.secret } : {}, head, closing.signal, 60_000);
        if (closed) break;
        fake.webhookAttempts.push({ update_id: head.update_id, status, at: Date.now() });
        if (status !== 200) lastError = { date: Math.floor(Date.now() / 1000), message: status === 0 ? 'Connection refused' : `Wrong response from the webhook: ${status} ${STATUS_CODES[status] ?? ''}`.trim() };
        if (status === 200) queue = queue.filter((u) => u.update_id !== head.update_id);
        else await webhookChanged.wait(webhookRetryMs);
      }
    } finally {
      delivering = false;
    }
  }

  async function getUpdates(p: Params, res: ServerResponse): Promise<Reply> {
    if (webhook) return error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    const offset = int(p.offset, 0);
    const limit = Math.min(100, Math.max(1, int(p.limit, 100)));
    const timeout = Math.max(0, int(p.timeout, 0));
    // offset confirms every earlier update; a negative offset keeps only the last -offset ones.
    if (offset > 0) queue = queue.filter((u) => u.update_id >= offset);
    if (offset < 0) queue = queue.slice(offset);
    const generation = ++pollGeneration;
    queued.wake(); // an older waiting getUpdates sees the new generation
    const deadline = Date.now() + timeout * 1000;
    let gone = false;
    res.once('close', () => (gone = true));
    for (;;) {
      if (generation !== pollGeneration) return error(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
      if (webhook) return error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
      if (queue.length) return ok(queue.slice(0, limit));
      const left = deadline - Date.now();
      if (left <= 0 || closed || gone) return ok([]);
      await queued.wait(left);
    }
  }

  /** A message as the Bot API returns it (and as a callback query carries it). */
  const messageObject = (m: TelegramMessageNow & { date: number }) => ({
    message_id: m.message_id,
    date: m.date,
    chat: { id: /^-?\d+$/.test(m.chat_id) ? Number(m.chat_id) : m.chat_id, type: 'private' },
    from: botUser,
    text: m.text,
    ...(m.inline_keyboard ? { reply_markup: { inline_keyboard: m.inline_keyboard } } : {}),
    ...(m.edits ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
  });

  const textOf = (p: Params): string | Reply => {
    const text = typeof p.text === 'string' ? p.text : p.text === undefined ? '' : String(p.text);
    if (!text.trim()) return error(400, 'Bad Request: message text is empty');
    if (text.length > 4096) return error(400, 'Bad Request: message is too long');
    return text;
  };

  function sendMessage(p: Params): Reply {
    if (p.chat_id === undefined || p.chat_id === '') return error(400, 'Bad Request: chat_id is empty');
    const text = textOf(p);
    if (typeof text !== 'string') return text;
    const keyboard = inlineKeyboardOf(p.reply_markup);
    if ('error' in keyboard) return error(400, keyboard.error);
    const chatId = String(p.chat_id);
    const message_id = nextMessageId++;
    const kb = keyboard.rows ? { inline_keyboard: keyboard.rows } : {};
    fake.sent.push({ chat_id: chatId, text, message_id, at: Date.now(), ...kb });
    const now = { chat_id: chatId, message_id, text, edits: 0, date: Math.floor(Date.now() / 1000), ...kb };
    messages.set(`${chatId}:${message_id}`, now);
    sentSignal.wake();
    return ok(messageObject(now));
  }

  /** editMessageText (a new text; without reply_markup the keyboard goes) and editMessageReplyMarkup (the keyboard only). */
  function editMessage(p: Params, what: 'text' | 'markup'): Reply {
    if (p.inline_message_id !== undefined) return error(400, 'Bad Request: inline messages are not modelled by the fake');
    const m = messages.get(`${String(p.chat_id ?? '')}:${int(p.message_id, 0)}`);
    if (!m) return error(400, 'Bad Request: message to edit not found');
    const text = what === 'text' ? textOf(p) : m.text;
    if (typeof text !== 'string') return text;
    const keyboard = inlineKeyboardOf(p.reply_markup);
    if ('error' in keyboard) return error(400, keyboard.error);
    if (text === m.text && JSON.stringify(keyboard.rows) === JSON.stringify(m.inline_keyboard)) return error(400, NOT_MODIFIED);
    m.text = text;
    if (keyboard.rows) m.inline_keyboard = keyboard.rows;
    else delete m.inline_keyboard;
    m.edits++;
    return ok(messageObject(m));
  }

  function answerCallbackQuery(p: Params): Reply {
    const id = String(p.callback_query_id ?? '');
    if (queries.get(id) !== false) return error(400, QUERY_INVALID); // unknown, or answered already
    const text = p.text === undefined ? undefined : String(p.text);
    if (text !== undefined && text.length > 200) return error(400, 'Bad Request: MESSAGE_TOO_LONG');
    queries.set(id, true);
    fake.answers.push({ callback_query_id: id, ...(text !== undefined ? { text } : {}), ...(p.show_alert !== undefined ? { show_alert: truthy(p.show_alert) } : {}), at: Date.now() });
    answered.wake();
    return ok(true);
  }

  /** The callback_query Update a tap makes: the message it came from as it stands now (or, unknown, an inaccessible one). */
  function tapUpdate(o: TelegramTap): { update: TelegramUpdate; queryId: string } {
    const found = [...messages.values()].find((m) => m.message_id === o.messageId && (o.chatId === undefined || m.chat_id === String(o.chatId)));
    const chatId = o.chatId ?? (found ? Number(found.chat_id) : o.fromId);
    const message = found ? messageObject(found) : { chat: { id: chatId, type: 'private' }, message_id: o.messageId, date: 0 };
    const queryId = `${4_382_000_000 + botId}${String(nextQuery++).padStart(9, '0')}`;
    queries.set(queryId, false);
    const firstName = o.firstName ?? 'Ann';
    const from = { id: o.fromId, is_bot: false, first_name: firstName, username: firstName.toLowerCase().replace(/[^a-z0-9_]/g, ''), language_code: 'en' };
    return { queryId, update: { update_id: nextUpdateId++, callback_query: { id: queryId, from, message, chat_instance: String(-(Math.abs(chatId) * 7919 + 13)), data: o.data } } };
  }

  function setWebhook(p: Params): Reply {
    const url = typeof p.url === 'string' ? p.url : '';
    const secret = p.secret_token === undefined ? undefined : String(p.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) return error(400, 'Bad Request: secret token contains unallowed characters');
    if (url && !/^https?:\/\//.test(url)) return error(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
    if (truthy(p.drop_pending_updates)) queue = [];
    webhook = url ? { url, ...(secret ? { secret } : {}) } : undefined; // an empty url removes the webhook
    webhookChanged.wake();
    queued.wake(); // a waiting getUpdates ends with 409
    void deliver();
    return ok(true);
  }

  function route(method: string, p: Params, res: ServerResponse): Reply | Promise<Reply> {
    switch (method) {
      case 'getMe':
        return ok(botUser);
      case 'deleteWebhook':
        webhook = undefined;
        webhookChanged.wake();
        if (truthy(p.drop_pending_updates)) queue = [];
        return ok(true);
      case 'setWebhook':
        return setWebhook(p);
      case 'getWebhookInfo':
        return ok({
          url: webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: queue.length,
          ...(lastError ? { last_error_date: lastError.date, last_error_message: lastError.message } : {}),
          ...(webhook ? { max_connections: 40, ip_address: '127.0.0.1' } : {}),
        });
      case 'getUpdates':
        return getUpdates(p, res);
      case 'sendMessage':
        return sendMessage(p);
      case 'answerCallbackQuery':
        return answerCallbackQuery(p);
      case 'editMessageText':
        return editMessage(p, 'text');
      case 'editMessageReplyMarkup':
        return editMessage(p, 'markup');
      default:
        return error(404);
    }
  }

  const parse = (text: string, contentType: string | undefined, query: URLSearchParams): Params => {
    const p: Params = Object.fromEntries(query);
    if (!text) return p;
    if (contentType?.includes('application/x-www-form-urlencoded')) return { ...p, ...Object.fromEntries(new URLSearchParams(text)) };
    return { ...p, ...(JSON.parse(text) as Params) };
  };

  const write = (res: ServerResponse, [status, body]: Reply) => {
    if (res.destroyed || res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const m = /^\/bot([^/]+)\/([A-Za-z]+)\/?$/.exec(url.pathname);
      const method = m ? (METHODS.find((k) => k.toLowerCase() === m[2]!.toLowerCase()) ?? m[2]!) : '';
      let p: Params;
      try {
        p = parse(text, req.headers['content-type'], url.searchParams);
      } catch {
        p = {};
        fake.calls.push({ method, at: Date.now(), body: p });
        return write(res, error(400, "Bad Request: can't parse JSON object"));
      }
      fake.calls.push({ method, at: Date.now(), body: p });
      if (isDown) return write(res, error(502));
      if (!m) return write(res, error(404));
      if (m[1] !== token) return write(res, error(401));
      if (!METHODS.includes(method)) return write(res, error(404));
      const i = faults.findIndex((f) => !f.method || f.method === method.toLowerCase());
      const fault = i >= 0 ? faults.splice(i, 1)[0] : undefined;
      if (fault) return write(res, fault.status === 200 ? ok(fault.result) : fault.status === 429 ? tooMany(fault.retryAfter ?? 1) : error(fault.status));
      if (hung.has(method.toLowerCase())) await new Promise<void>((release) => hangers.push({ method: method.toLowerCase(), release }));
      try {
        write(res, await route(method, p, res));
      } catch (e) {
        write(res, error(500, `Internal Server Error: fake: ${String(e)}`));
      }
    });
  });

  const addFaults = (times: number, fault: Fault) => {
    const method = fault.method?.toLowerCase();
    for (let k = 0; k < times; k++) faults.push({ ...fault, ...(method ? { method } : {}) });
  };

  const fake: FakeTelegram = {
    apiRoot: '',
    token,
    botId,
    sent: [],
    calls: [],
    webhookAttempts: [],
    incoming(o) {
      const firstName = o.firstName ?? 'Ann';
      const username = o.username ?? firstName.toLowerCase().replace(/[^a-z0-9_]/g, '');
      const chatId = o.chatId ?? o.fromId;
      const chat = chatId === o.fromId ? { id: chatId, type: 'private', first_name: firstName, username } : { id: chatId, type: 'group', title: 'agentnet test group' };
      return push({
        update_id: nextUpdateId++,
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          from: { id: o.fromId, is_bot: false, first_name: firstName, username, language_code: o.languageCode ?? 'en' },
          chat,
          text: o.text,
        },
      });
    },
    update: (fields) => push({ ...fields, update_id: nextUpdateId++ }),
    tap(o) {
      const { update, queryId } = tapUpdate(o);
      return { updateId: push(update), queryId };
    },
    message(chatId, messageId) {
      const m = messages.get(`${String(chatId)}:${messageId}`);
      if (!m) return undefined;
      const { date: _, ...now } = m;
      return structuredClone(now);
    },
    answers: [],
    async waitForAnswer(queryId, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = fake.answers.find((a) => a.callback_query_id === queryId);
        if (hit) return hit;
        const left = deadline - Date.now();
        if (left <= 0 || closed) throw new Error(`fake Telegram: query ${queryId} not answered within ${timeoutMs} ms; answered: ${JSON.stringify(fake.answers)}`);
        await answered.wait(left);
      }
    },
    redeliver(updateId) {
      const u = history.get(updateId);
      if (!u) throw new Error(`fake Telegram: no update ${updateId} to deliver again`);
      if (!queue.some((q) => q.update_id === updateId)) push(structuredClone(u));
    },
    pending: () => queue.length,
    sentTo: (chatId) => fake.sent.filter((s) => s.chat_id === String(chatId)).map((s) => s.text),
    async waitForSent(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = fake.sent.find(predicate);
        if (hit) return hit;
        const left = deadline - Date.now();
        if (left <= 0 || closed) {
          const list = fake.sent.map((s) => `  ${s.chat_id}: ${JSON.stringify(s.text)}`).join('\n') || '  (nothing)';
          throw new Error(`fake Telegram: no sent message matched within ${timeoutMs} ms; sent:\n${list}`);
        }
        await sentSignal.wait(left);
      }
    },
    rateLimit: (retryAfterSeconds, times = 1, method = 'sendMessage') => addFaults(times, { status: 429, retryAfter: retryAfterSeconds, method }),
    fail: (status, times = 1, method) => addFaults(times, { status, method }),
    down: () => void (isDown = true),
    up: () => void (isDown = false),
    hang: (method) => void hung.add(method.toLowerCase()),
    unhang() {
      hung.clear();
      for (const h of hangers.splice(0)) h.release();
    },
    hanging: (method) => hangers.filter((h) => h.method === method.toLowerCase()).length,
    garble: (result, times = 1, method) => addFaults(times, { status: 200, result, method }),
    webhookUnreachable(unreachable) {
      webhookCut = unreachable;
      webhookChanged.wake();
      if (!unreachable) void deliver();
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        webhook = undefined;
        closing.abort();
        fake.unhang();
        queued.wake();
        webhookChanged.wake();
        sentSignal.wake();
        answered.wake();
        server.close(() => resolve());
        // Let the long polls woken above write their `[]`, then cut whatever is left.
        setImmediate(() => server.closeAllConnections());
      }),
  };

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.apiRoot = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return fake;
}
