/**
 * How PostgreSQL failures are told apart: a server that is unreachable or restarting (worth
 * waiting out) from a bad query, and a cut that may have come after a commit (never repeated).
 */

/** The URL with its password hidden, for messages and logs. */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/** Marks a connection error that may have come after the server committed: running the work again could do it twice. */
const MAYBE_DONE = Symbol('agentnet.pg.maybeDone');
export function markMaybeDone(err: unknown): void {
  if (err && typeof err === 'object') (err as { [MAYBE_DONE]?: boolean })[MAYBE_DONE] = true;
}

/** Whether `markMaybeDone` marked this error: the work may have been done, so it is not run again. */
export function isMaybeDone(err: unknown): boolean {
  return Boolean((err as { [MAYBE_DONE]?: boolean } | undefined)?.[MAYBE_DONE]);
}

/** Whether an error means PostgreSQL is unreachable or restarting (worth waiting out), not a bad query. */
export function isPgConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
  // 53300 too many connections; the errno codes of a server or network that is not there.
  const codes = ['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT'];
  if (typeof e.code === 'string' && (/^08/.test(e.code) || codes.includes(e.code))) return true;
  // pg-pool's own errors carry no code, only their text: every connection busy or hanging past connectionTimeoutMillis.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(e.message ?? '');
}
