/**
 * Retries for model calls: 408/409/429/5xx/529 and dropped connections, with exponential
 * back-off and full jitter, honouring `retry-after` / `retry-after-ms`. The SDKs' own retries
 * are turned off (they cap waits at seconds); here an outage of minutes is waited out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from '../errors.ts';

export interface RetryOptions {
  /** Attempts in all (default 6: about two minutes of waiting at the cap). */
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** The codes of a connection that was refused or broke: Node's errno codes and undici's socket error. */
const CONNECTION_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET']);

/** Whether the error, or a cause it wraps (a few levels down), carries a connection code. */
function hasConnectionCode(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++, e = (e as { cause?: unknown }).cause) {
    const code = errnoCode(e);
    if (code !== undefined && CONNECTION_CODES.has(code)) return true;
  }
  return false;
}

/** Whether an error is worth retrying, and how long the server asked us to wait. */
export function retryable(err: unknown): { retry: boolean; afterMs?: number; reason: string } {
  const e = err as { status?: number; headers?: unknown; name?: string; message?: string };
  if (typeof e?.status === 'number') {
    const s = e.status;
    const retry = s === 408 || s === 409 || s === 425 || s === 429 || s >= 500;
    const ms = Number(header(e.headers, 'retry-after-ms'));
    let afterMs = Number.isFinite(ms) && ms > 0 ? ms : undefined;
    const ra = header(e.headers, 'retry-after');
    if (afterMs === undefined && ra) {
      const secs = Number(ra);
      afterMs = Number.isFinite(secs) ? secs * 1000 : Math.max(0, Date.parse(ra) - Date.now()) || undefined;
    }
    return { retry, reason: `HTTP ${s}`, ...(afterMs !== undefined ? { afterMs } : {}) };
  }
  // SDK error classes do not always set `name`; their class names say what happened.
  const name = [e?.name, (err as object | undefined)?.constructor?.name].filter(Boolean).join(' ');
  // The message is read only for what comes without a code: undici's `TypeError: terminated`
  // (no cause when the body stream was cut), and errors that kept only a cause's message.
  const dropped = hasConnectionCode(err) || /ECONNRESET|ECONNREFUSED|socket hang up|terminated/i.test(e?.message ?? '');
  if (/Connection|Timeout|FetchError/i.test(name) || dropped) {
    return { retry: true, reason: (err as object).constructor?.name || 'connection error' };
  }
  return { retry: false, reason: e?.message ?? String(err) };
}

export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const info = retryable(err);
      if (!info.retry || attempt >= attempts) throw err;
      const backoff = Math.random() * Math.min(max, base * 2 ** (attempt - 1));
      const delayMs = Math.min(max, Math.max(info.afterMs ?? 0, backoff));
      options.onRetry?.({ attempt, delayMs, reason: info.reason });
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {});
    }
  }
}
