/**
 * A fake Green API (WhatsApp) instance speaking the wire format of ../shared/specs/channels.md:
 * `{apiUrl}/waInstance{idInstance}/{method}/{apiTokenInstance}[/{param}]`, JSON bodies, 403 for a
 * wrong instance, 401 for a wrong token, 404 for an unknown method or verb. It answers sendMessage,
 * getStateInstance, getSettings, getWebhooksCount, receiveNotification (long poll, at-least-once)
 * and deleteNotification, delivers notifications to a webhook (FIFO, retried), records what was
 * sent and lets a test inject faults (HTTP errors, 429/466, 502 outages, dropped sockets, slow
 * answers, requests that hang unanswered, answers of the wrong shape, an unreachable webhook).
 *
 * Clocks: `now()` (default Date.now) stamps notifications and drives the 24 h retention;
 * every `at` field is real wall time (Date.now), so retry spacing can be measured.
 */
import { postWebhook } from './webhook-post.ts';
import { createServer, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface SentMessage {
  chatId: string;
  message: string;
  idMessage: string;
  at: number;
}

export interface Notification {
  receiptId: number;
  body: Record<string, unknown>;
}

export interface IncomingOptions {
  /** Phone digits (e.g. '972500000000', '+' and spaces ignored) or a full chatId ('…@c.us', '…@lid'). */
  from: string;
  text?: string;
  /** A full messageData object, sent instead of a textMessage built from `text`. */
  messageData?: object;
  idMessage?: string;
  /** The chat, when it is not the sender's own (e.g. a group '…@g.us'). */
  chatId?: string;
  senderName?: string;
}

export interface FakeGreenApiOptions {
  idInstance?: string;
  apiToken?: string;
  /** Millisecond clock for notification timestamps and the 24 h retention. Default Date.now. */
  now?: () => number;
  /** Pause before a failed webhook delivery is resent. Default 60000 (as the real service). */
  webhookRetryMs?: number;
  /**
   * Queue outgoingMessageStatus notifications after each sendMessage: true for 'sent', or the
   * statuses in order (e.g. ['sent', 'delivered', 'read'], as a phone that reads at once). Default none.
   */
  statusNotifications?: boolean | string[];
}

export interface FakeGreenApi {
  /** apiUrl for clients, e.g. http://127.0.0.1:4321 (no trailing slash). */
  url: string;
  idInstance: string;
  apiToken: string;
  /** The instance's own number, as in instanceData.wid. */
  wid: string;
  sent: SentMessage[];
  /** stateInstance answered by getStateInstance; setState() also queues a notification. */
  state: string;
  /** Every request (method lowercased; '' when the path is not an API path). */
  calls: Array<{ method: string; verb: string; at: number }>;
  /** Every webhook POST attempt; status 0 = connection error or timeout. */
  webhookAttempts: Array<{ receiptId: number; status: number; at: number }>;
  /** Queue an incomingMessageReceived notification; returns its idMessage. */
  incoming(o: IncomingOptions): string;
  /** Queue any raw notification body; returns its receiptId. */
  notify(body: object): number;
  /** Notifications not yet deleted (after dropping those older than 24 h). */
  pending(): number;
  setState(state: string): void;
  setWebhook(url: string, token?: string): void;
  clearWebhook(): void;
  /** The next `times` requests (to `method` only, when given) answer `status`. */
  fail(status: number, times?: number, method?: string): void;
  /** The next `times` requests (to `method` only, when given) get their socket destroyed, unanswered and unprocessed. */
  drop(times?: number, method?: string): void;
  /** The next `times` requests (to `method` only, when given) are processed at once but answered `ms` later. */
  slow(ms: number, times?: number, method?: string): void;
  /** Requests to `method` are accepted and never answered, no error, until unhang(): then they are handled as usual. */
  hang(method: string): void;
  unhang(): void;
  /** Requests to `method` waiting in a hang now. */
  hanging(method: string): number;
  /** The next `times` requests to `method` answer 200 with `body` as it is (a payload of the wrong shape). */
  garble(body: unknown, times?: number, method?: string): void;
  /** Webhook mode: Green API cannot reach the endpoint (as if its address stopped resolving): deliveries fail unsent, notifications pile up. */
  webhookUnreachable(unreachable: boolean): void;
  /** Every request answers 502 until up(). */
  down(): void;
  up(): void;
  /** Texts sent to a chat, in order; accepts phone digits or a chatId. */
  sentTo(chatId: string): string[];
  /** Resolves with the first sent message (already sent or future) matching; rejects after timeoutMs. */
  waitForSent(predicate: (m: SentMessage) => boolean, timeoutMs?: number): Promise<SentMessage>;
  close(): Promise<void>;
}

type Fault =
  | { kind: 'fail'; status: number; method?: string }
  | { kind: 'drop'; method?: string }
  | { kind: 'slow'; ms: number; method?: string }
  | { kind: 'garble'; body: unknown; method?: string };
type Reply = [status: number, body: unknown];

const DAY_MS = 24 * 60 * 60 * 1000;
const KNOWN: Record<string, string> = {
  sendmessage: 'POST',
  getstateinstance: 'GET',
  getsettings: 'GET',
  getwebhookscount: 'GET',
  receivenotification: 'GET',
  deletenotification: 'DELETE',
};

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

const toChatId = (s: string) => (s.includes('@') ? s : `${s.replace(/\D/g, '')}@c.us`);

export async function startFakeGreenApi(options: FakeGreenApiOptions = {}): Promise<FakeGreenApi> {
  const idInstance = options.idInstance ?? '1101000001';
  const apiToken = options.apiToken ?? 'd75b3a66374942c5b3c019c698abc2067e151558acbd412345';
  const now = options.now ?? Date.now;
  const webhookRetryMs = options.webhookRetryMs ?? 60_000;
  const wid = '79001234567@c.us';
  const instanceData = { idInstance: Number(idInstance), wid, typeInstance: 'whatsapp' };

  let queue: Array<Notification & { createdAt: number }> = [];
  let nextReceiptId = 1;
  const idPrefix = randomBytes(4).toString('hex').toUpperCase();
  let idCounter = 0;
  const newIdMessage = () => idPrefix + (++idCounter).toString(16).toUpperCase().padStart(12, '0');
  const faults: Fault[] = [];
  let isDown = false;
  let closed = false;
  let webhook: { url: string; token?: string } | undefined;
  let delivering = false;
  let webhookCut = false;
  const hung = new Set<string>();
  const hangers: Array<{ method: string; release: () => void }> = [];
  const queued = signal(); // something was queued, the webhook changed, or we are closing
  const webhookChanged = signal(); // cuts a webhook retry pause short
  const sentSignal = signal();
  const closing = new AbortController();

  const prune = () => {
    const cutoff = now() - DAY_MS;
    queue = queue.filter((n) => n.createdAt >= cutoff);
  };
  const push = (body: Record<string, unknown>) => {
    const receiptId = nextReceiptId++;
    queue.push({ receiptId, body, createdAt: now() });
    queued.wake();
    void deliver();
    return receiptId;
  };
  const errorBody = (status: number, path: string, message: string) => ({ statusCode: status, timestamp: new Date(now()).toISOString(), path, message });

  /** Webhook mode: POST the queue head until it gets a 200, then the next; a failing endpoint blocks the rest. */
  async function deliver() {
    if (delivering) return;
    delivering = true;
    try {
      while (webhook && !closed) {
        prune();
        const head = queue[0];
        if (!head) break;
        const target = webhook;
        const status = webhookCut ? 0 : await postWebhook(target.url, target.token ? { authorization: `Bearer ${target.token}` } : {}, head.body, closing.signal, 180_000);
        if (closed) break;
        fake.webhookAttempts.push({ receiptId: head.receiptId, status, at: Date.now() });
        if (status === 200) queue = queue.filter((n) => n.receiptId !== head.receiptId);
        else await webhookChanged.wait(webhookRetryMs);
      }
    } finally {
      delivering = false;
    }
  }

  async function receiveNotification(url: URL, path: string, res: ServerResponse): Promise<Reply> {
    const raw = url.searchParams.get('receiveTimeout');
    const seconds = raw === null ? 5 : Number(raw);
    if (!Number.isInteger(seconds) || seconds < 5 || seconds > 60) {
      return [400, errorBody(400, path, "Validation failed. Details: 'receiveTimeout' must be an integer from 5 to 60")];
    }
    if (webhook) return [400, errorBody(400, path, 'receiveNotification works only while webhookUrl is empty; clear webhookUrl with setSettings first')];
    const deadline = Date.now() + seconds * 1000;
    let gone = false;
    res.once('close', () => (gone = true));
    for (;;) {
      prune();
      const head = queue[0];
      if (head && !webhook) return [200, { receiptId: head.receiptId, body: head.body }];
      const left = deadline - Date.now();
      if (left <= 0 || closed || gone || webhook) return [200, null];
      await queued.wait(left);
    }
  }

  function sendMessage(text: string, path: string): Reply {
    let body: { chatId?: unknown; message?: unknown };
    try {
      body = JSON.parse(text || '{}');
    } catch {
      return [400, errorBody(400, path, 'Validation failed. Details: the body is not valid JSON')];
    }
    if (typeof body.chatId !== 'string' || !body.chatId) return [400, errorBody(400, path, "Validation failed. Details: 'chatId' is required")];
    if (typeof body.message !== 'string') return [400, errorBody(400, path, "Validation failed. Details: 'message' is required")];
    if (body.message.length > 20_000) {
      return [400, errorBody(400, path, "Validation failed. Details: 'message' length must be less than or equal to 20000 characters long")];
    }
    const idMessage = newIdMessage();
    fake.sent.push({ chatId: body.chatId, message: body.message, idMessage, at: Date.now() });
    sentSignal.wake();
    const statuses = options.statusNotifications === true ? ['sent'] : options.statusNotifications || [];
    for (const status of statuses) {
      push({
        typeWebhook: 'outgoingMessageStatus',
        chatId: body.chatId,
        instanceData,
        timestamp: Math.floor(now() / 1000),
        idMessage,
        status,
        description: '',
        sendByApi: true,
      });
    }
    return [200, { idMessage }];
  }

  async function route(method: string, param: string | undefined, url: URL, path: string, text: string, res: ServerResponse): Promise<Reply> {
    switch (method) {
      case 'sendmessage':
        return sendMessage(text, path);
      case 'getstateinstance':
        return [200, { stateInstance: fake.state }];
      case 'getsettings':
        return [
          200,
          {
            wid,
            webhookUrl: webhook?.url ?? '',
            webhookUrlToken: webhook?.token ?? '',
            delaySendMessagesMilliseconds: 3000,
            markIncomingMessagesReaded: 'no',
            outgoingWebhook: 'yes',
            outgoingMessageWebhook: 'yes',
            outgoingAPIMessageWebhook: 'yes',
            incomingWebhook: 'yes',
            stateWebhook: 'yes',
          },
        ];
      case 'getwebhookscount':
        prune();
        return [200, { count: queue.length }];
      case 'receivenotification':
        return receiveNotification(url, path, res);
      case 'deletenotification': {
        const receiptId = Number(param);
        if (!param || !Number.isInteger(receiptId)) return [400, errorBody(400, path, "Validation failed. Details: 'receiptId' must be a number")];
        const before = queue.length;
        queue = queue.filter((n) => n.receiptId !== receiptId);
        return [200, { result: queue.length < before }];
      }
      default:
        return [404, errorBody(404, path, `fake: no method ${method}`)];
    }
  }

  const faultReply = (status: number, method: string, path: string): Reply => {
    if (status === 466) {
      return [
        466,
        {
          invokeStatus: { method, used: 67, total: 0, status: 'QUOTE_ALLOWED' },
          correspondentsStatus: {
            method: 'correspondents',
            used: 3,
            total: 3,
            status: 'CORRESPONDENTS_QUOTE_EXCEEDED',
            description: 'Monthly quota has been exceeded. You can write to 3 chats a month on the Developer plan.',
          },
        },
      ];
    }
    const messages: Record<number, string> = { 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway' };
    return [status, errorBody(status, path, messages[status] ?? `fake fault ${status}`)];
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
      const path = url.pathname;
      const verb = req.method ?? 'GET';
      const m = /^\/waInstance(\d+)\/([A-Za-z]+)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
      const method = m?.[2]!.toLowerCase() ?? '';
      fake.calls.push({ method, verb, at: Date.now() });
      if (isDown) return write(res, faultReply(502, method, path));
      if (!m) return write(res, [404, errorBody(404, path, 'Not Found')]);
      if (m[1] !== idInstance) return write(res, [403, errorBody(403, path, 'Forbidden')]);
      if (m[3] !== apiToken) return write(res, [401, errorBody(401, path, 'Unauthorized')]);
      if (KNOWN[method] !== verb) return write(res, [404, errorBody(404, path, `fake: no ${verb} ${m[2]}`)]);
      const i = faults.findIndex((f) => !f.method || f.method === method);
      const fault = i >= 0 ? faults.splice(i, 1)[0] : undefined;
      if (fault?.kind === 'drop') return void req.socket.destroy();
      if (fault?.kind === 'fail') return write(res, faultReply(fault.status, method, path));
      if (fault?.kind === 'garble') return write(res, [200, fault.body]);
      if (hung.has(method)) await new Promise<void>((release) => hangers.push({ method, release }));
      const reply = await route(method, m[4], url, path, text, res).catch((e: unknown): Reply => [500, errorBody(500, path, `fake: ${String(e)}`)]);
      if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms));
      write(res, reply);
    });
  });

  const fake: FakeGreenApi = {
    url: '',
    idInstance,
    apiToken,
    wid,
    sent: [],
    state: 'authorized',
    calls: [],
    webhookAttempts: [],
    incoming(o) {
      const sender = toChatId(o.from);
      const idMessage = o.idMessage ?? newIdMessage();
      const senderName = o.senderName ?? 'Test User';
      push({
        typeWebhook: 'incomingMessageReceived',
        instanceData,
        timestamp: Math.floor(now() / 1000),
        idMessage,
        senderData: { chatId: o.chatId ? toChatId(o.chatId) : sender, chatName: senderName, sender, senderName, senderContactName: '' },
        messageData: o.messageData ?? { typeMessage: 'textMessage', textMessageData: { textMessage: o.text ?? '' } },
      });
      return idMessage;
    },
    notify: (body) => push(body as Record<string, unknown>),
    pending() {
      prune();
      return queue.length;
    },
    setState(state) {
      fake.state = state;
      push({ typeWebhook: 'stateInstanceChanged', instanceData, timestamp: Math.floor(now() / 1000), stateInstance: state });
    },
    setWebhook(url, token) {
      webhook = { url, ...(token ? { token } : {}) };
      webhookChanged.wake();
      queued.wake(); // pending long polls answer null
      void deliver();
    },
    clearWebhook() {
      webhook = undefined;
      webhookChanged.wake();
    },
    fail: (status, times = 1, method) => pushFaults(times, { kind: 'fail', status, method }),
    drop: (times = 1, method) => pushFaults(times, { kind: 'drop', method }),
    slow: (ms, times = 1, method) => pushFaults(times, { kind: 'slow', ms, method }),
    down: () => void (isDown = true),
    up: () => void (isDown = false),
    hang: (method) => void hung.add(method.toLowerCase()),
    unhang() {
      hung.clear();
      for (const h of hangers.splice(0)) h.release();
    },
    hanging: (method) => hangers.filter((h) => h.method === method.toLowerCase()).length,
    garble: (body, times = 1, method) => pushFaults(times, { kind: 'garble', body, method }),
    webhookUnreachable(unreachable) {
      webhookCut = unreachable;
      webhookChanged.wake();
      if (!unreachable) void deliver();
    },
    sentTo: (chatId) => fake.sent.filter((s) => s.chatId === toChatId(chatId)).map((s) => s.message),
    async waitForSent(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = fake.sent.find(predicate);
        if (hit) return hit;
        const left = deadline - Date.now();
        if (left <= 0 || closed) {
          const list = fake.sent.map((s) => `  ${s.chatId}: ${JSON.stringify(s.message)}`).join('\n') || '  (nothing)';
          throw new Error(`fake Green API: no sent message matched within ${timeoutMs} ms; sent:\n${list}`);
        }
        await sentSignal.wait(left);
      }
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
        server.close(() => resolve());
        // Let the long polls woken above write their `null`, then cut whatever is left.
        setImmediate(() => server.closeAllConnections());
      }),
  };

  function pushFaults(times: number, fault: Fault) {
    const method = fault.method?.toLowerCase();
    for (let k = 0; k < times; k++) faults.push({ ...fault, ...(method ? { method } : {}) } as Fault);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return fake;
}
