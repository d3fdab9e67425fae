/**
 * A fake Telegram Bot API server speaking the wire format of ../shared/specs/channels.md:
 * `{apiRoot}/bot<token>/<method>` with JSON (also query and urlencoded) parameters, answering
 * `{"ok":true,"result":…}` or `{"ok":false,"error_code":N,"description":…}`. It implements what
 * grammY's `bot.start()` and a relay need (getMe, deleteWebhook, setWebhook, getUpdates as a long
 * poll, sendMessage), delivers updates to a webhook (FIFO, retried), records what was sent and lets a
 * test inject faults (429 with retry_after, any error status, 502 outages).
 */
import { postWebhook } from './webhook-post.ts';
import { createServer, type ServerResponse } from 'node:http';

export interface TelegramSent {
  /** chat_id as sent, stringified. */
  chat_id: string;
  text: string;
  message_id: number;
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
  close(): Promise<void>;
}

type Params = Record<string, unknown>;
type Reply = [status: number, body: unknown];
type Fault = { method?: string; status: number; retryAfter?: number };

const METHODS = ['getMe', 'deleteWebhook', 'setWebhook', 'getUpdates', 'sendMessage'];
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
  const faults: Fault[] = [];
  let isDown = false;
  let closed = false;
  let webhook: { url: string; secret?: string } | undefined;
  let delivering = false;
  let pollGeneration = 0; // a newer getUpdates ends an older waiting one with 409, like the real API
  const queued = signal();
  const webhookChanged = signal();
  const sentSignal = signal();
  const closing = new AbortController();

  const push = (update: TelegramUpdate) => {
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
        const status = await postWebhook(target.url, target.secret ? { 'x-telegram-bot-api-secret-token': target.secret } : {}, head, closing.signal, 60_000);
        if (closed) break;
        fake.webhookAttempts.push({ update_id: head.update_id, status, at: Date.now() });
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

  function sendMessage(p: Params): Reply {
    if (p.chat_id === undefined || p.chat_id === '') return error(400, 'Bad Request: chat_id is empty');
    const text = typeof p.text === 'string' ? p.text : p.text === undefined ? '' : String(p.text);
    if (!text.trim()) return error(400, 'Bad Request: message text is empty');
    if (text.length > 4096) return error(400, 'Bad Request: message is too long');
    const chatId = String(p.chat_id);
    const message_id = nextMessageId++;
    fake.sent.push({ chat_id: chatId, text, message_id, at: Date.now() });
    sentSignal.wake();
    const id = /^-?\d+$/.test(chatId) ? Number(chatId) : chatId;
    return ok({ message_id, date: Math.floor(Date.now() / 1000), chat: { id, type: 'private' }, from: botUser, text });
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
      case 'getUpdates':
        return getUpdates(p, res);
      case 'sendMessage':
        return sendMessage(p);
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
      if (fault) return write(res, fault.status === 429 ? tooMany(fault.retryAfter ?? 1) : error(fault.status));
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
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        webhook = undefined;
        closing.abort();
        queued.wake();
        webhookChanged.wake();
        sentSignal.wake();
        server.close(() => resolve());
        // Let the long polls woken above write their `[]`, then cut whatever is left.
        setImmediate(() => server.closeAllConnections());
      }),
  };

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.apiRoot = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return fake;
}
