/**
 * A thin Green API (WhatsApp) client over fetch. Not the vendor's npm clients: they hard-code
 * the host or delete notifications before they are handled (../shared/specs/channels.md).
 * The token is part of every URL, so it is redacted from every error this client raises.
 */
import { AgentnetError } from '../errors.ts';

export interface GreenApiOptions {
  apiUrl: string;
  idInstance: string;
  apiToken: string;
  /** Per request (default 15 s). */
  timeoutMs?: number;
}

/** 20 000 characters is Green API's limit for one message. */
export const GREEN_API_MAX_MESSAGE = 20_000;

/** `972500000000` (an owner in the config) → `972500000000@c.us`; chat ids pass through. */
export const whatsappChatId = (owner: string) => (owner.includes('@') ? owner : `${owner.replace(/^\+/, '')}@c.us`);

export class GreenApiClient {
  readonly #o: GreenApiOptions;
  constructor(options: GreenApiOptions) {
    this.#o = options;
  }

  /** Sends a text; returns the provider's message id. */
  async sendMessage(chatId: string, message: string): Promise<string> {
    const res = await this.#call<{ idMessage: string }>('POST', 'sendMessage', { chatId, message });
    return res.idMessage;
  }

  /** `authorized`, `notAuthorized`, `blocked`, `starting`, `yellowCard`, ... */
  async getStateInstance(): Promise<string> {
    return (await this.#call<{ stateInstance: string }>('GET', 'getStateInstance')).stateInstance;
  }

  async #call<T>(method: 'GET' | 'POST', name: string, body?: unknown): Promise<T> {
    const base = this.#o.apiUrl.replace(/\/+$/, '');
    const url = `${base}/waInstance${this.#o.idInstance}/${name}/${this.#o.apiToken}`;
    const redact = (s: string) => s.split(this.#o.apiToken).join('***');
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? 'no answer in time' : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new GreenApiError(0, redact(`Green API ${name}: cannot reach ${base} (${why})`));
    }
    const text = await res.text();
    if (!res.ok) {
      const hint =
        res.status === 401 || res.status === 403 ? ' (check idInstance and apiToken)'
        : res.status === 466 ? ' (the plan\'s monthly quota is used up)'
        : res.status === 429 ? ' (rate limited)'
        : '';
      const detail = (() => {
        try {
          return String((JSON.parse(text) as { message?: string }).message ?? text);
        } catch {
          return text;
        }
      })().slice(0, 300);
      throw new GreenApiError(res.status, redact(`Green API ${name}: HTTP ${res.status}${hint}${detail ? `: ${detail}` : ''}`));
    }
    return JSON.parse(text) as T;
  }
}

export class GreenApiError extends AgentnetError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('CHANNEL_REQUEST_FAILED', message);
    this.status = status;
  }
  /** Whether trying again later can help. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}
