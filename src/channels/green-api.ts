/**
 * A thin Green API (WhatsApp) client over fetch. Not the vendor's npm clients: they hard-code
 * the host or delete notifications before they are handled (../shared/specs/channels.md).
 * The token is part of every URL, so it is redacted from every error this client raises.
 */
import { z } from 'zod';
import { ChannelError } from './channel.ts';
import { checkPayload, greenApiReceipt, greenApiState, greenApiWebhooksCount } from './payloads.ts';

export interface GreenApiOptions {
  apiUrl: string;
  idInstance: string;
  apiToken: string;
  /** Per request (default 15 s); a long poll waits its receiveTimeout on top. */
  timeoutMs?: number;
}

/** 20 000 characters is Green API's limit for one message. */
export const GREEN_API_MAX_MESSAGE = 20_000;

/** `972500000000` (an owner in the config) → `972500000000@c.us`; chat ids pass through. */
export const whatsappChatId = (owner: string) => (owner.includes('@') ? owner : `${owner.replace(/^\+/, '')}@c.us`);

/** One queued notification: the same body a webhook would receive (checked by the channel). */
export interface GreenApiNotification {
  receiptId: number;
  body: unknown;
}

const sent = z.looseObject({ idMessage: z.string().min(1) });
const deleted = z.looseObject({ result: z.boolean() });

export class GreenApiClient {
  readonly #o: GreenApiOptions;
  constructor(options: GreenApiOptions) {
    this.#o = options;
  }

  /** Sends a text; returns the provider's message id. */
  async sendMessage(chatId: string, message: string): Promise<string> {
    return (await this.#call(sent, 'POST', 'sendMessage', { body: { chatId, message } })).idMessage;
  }

  /** `authorized`, `notAuthorized`, `blocked`, `starting`, `yellowCard`, ... */
  async getStateInstance(): Promise<string> {
    return (await this.#call(greenApiState, 'GET', 'getStateInstance')).stateInstance;
  }

  /** How many notifications wait in the incoming queue (a webhook's backlog); Green API refreshes it every 10 s. */
  async getWebhooksCount(): Promise<number> {
    return (await this.#call(greenApiWebhooksCount, 'GET', 'getWebhooksCount')).count;
  }

  /** The head of the notification queue, waiting up to `receiveTimeoutS` (5–60) for one; null when none came. */
  async receiveNotification(receiveTimeoutS: number, signal?: AbortSignal): Promise<GreenApiNotification | null> {
    return this.#call(greenApiReceipt, 'GET', 'receiveNotification', {
      query: `receiveTimeout=${receiveTimeoutS}`,
      timeoutMs: receiveTimeoutS * 1000 + (this.#o.timeoutMs ?? 15_000),
      ...(signal ? { signal } : {}),
    });
  }

  /** Removes a notification from the queue; false when it was not there (deleted already). */
  async deleteNotification(receiptId: number): Promise<boolean> {
    return (await this.#call(deleted, 'DELETE', 'deleteNotification', { param: String(receiptId) })).result;
  }

  /** One request; the answer is checked against `answer` (a 502 saying what is wrong when it does not fit). */
  async #call<T>(
    answer: z.ZodType<T>,
    verb: 'GET' | 'POST' | 'DELETE',
    name: string,
    o: { body?: unknown; query?: string; param?: string; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const base = this.#o.apiUrl.replace(/\/+$/, '');
    const url = `${base}/waInstance${this.#o.idInstance}/${name}/${this.#o.apiToken}${o.param ? `/${o.param}` : ''}${o.query ? `?${o.query}` : ''}`;
    const redact = (s: string) => s.split(this.#o.apiToken).join('***');
    const timeout = AbortSignal.timeout(o.timeoutMs ?? this.#o.timeoutMs ?? 15_000);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method: verb,
        ...(o.body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(o.body) }),
        signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (err) {
      if (o.signal?.aborted) throw err;
      const why = (err as Error).name === 'TimeoutError' ? 'no answer in time' : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new GreenApiError(0, redact(`Green API ${name}: cannot reach ${base} (${why})`));
    }
    if (!res.ok) {
      const hint =
        res.status === 401 || res.status === 403 ? ' (check idInstance and apiToken)'
        : res.status === 466 ? " (the plan's monthly quota is used up)"
        : res.status === 429 ? ' (rate limited)'
        : '';
      const detail = (() => {
        try {
          const j = JSON.parse(text) as { message?: string; correspondentsStatus?: { description?: string } };
          return String(j.message ?? j.correspondentsStatus?.description ?? text);
        } catch {
          return text;
        }
      })().slice(0, 300);
      throw new GreenApiError(res.status, redact(`Green API ${name}: HTTP ${res.status}${hint}${detail ? `: ${detail}` : ''}`));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GreenApiError(502, redact(`Green API ${name}: the answer is not JSON: ${text.slice(0, 100)}`));
    }
    const checked = checkPayload(answer, json);
    if (!checked.ok) throw new GreenApiError(502, redact(`Green API ${name}: the answer does not have the documented shape: ${checked.problems}`));
    return checked.value;
  }
}

/** What Green API said no to: `status` is the HTTP status, 0 when it could not be reached. */
export class GreenApiError extends ChannelError {
  constructor(status: number, message: string) {
    // 466 (quota) is waited out like an outage: the replies stay in the ledger until it lifts.
    super(message, { status, retryable: status === 0 || status === 429 || status === 466 || status >= 500 });
  }
}
