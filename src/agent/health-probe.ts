/** The other side of /health: where an agent's health endpoint is, and asking it, briefly. */
import type { HealthReport } from './health.ts';

/** The URL of the /health endpoint served on `host`:`port` (a wildcard bind is asked on loopback). */
export function healthUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}/health`;
}

/** Asks one /health; says why when it did not answer (`not running`, `no answer`, an HTTP status). */
export async function probe(url: string, timeoutMs: number): Promise<{ health?: HealthReport; error?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { error: `HTTP ${res.status}` };
    return { health: (await res.json()) as HealthReport };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { error: cause?.code === 'ECONNREFUSED' ? 'not running' : (err as Error).name === 'TimeoutError' ? 'no answer' : (err as Error).message };
  }
}
