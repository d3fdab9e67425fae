/**
 * A cross-process lock file for the bridge's multi-step operations.
 *
 * Why our own and not proper-lockfile: appends hold this lock for microseconds, so we need
 * a synchronous fast path (one O_EXCL create) and recovery that is instant when the holder
 * is a dead process on this host (pid check) instead of waiting out an mtime window. O_EXCL
 * create is atomic on local file systems and on NFSv3+. A holder on another host is judged
 * by age only: a lock older than `staleMs` whose holder stopped refreshing it is broken.
 */
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { AgentnetError, errnoCode } from '../errors.ts';
import { silentLogger, type Logger } from '../log/logger.ts';

export interface FileLockOptions {
  /** A lock older than this with no refresh is stale (its holder hung or died on another host). */
  staleMs?: number;
  /** Give up waiting after this long. */
  timeoutMs?: number;
  /** Written into the lock file, for humans who find it. */
  purpose?: string;
  logger?: Logger;
}

export interface FileLock {
  readonly path: string;
  /** Refreshes the lock now; long synchronous work calls this, since timers cannot run meanwhile. */
  touch(): void;
  /** Keeps the lock fresh during a long operation (rotation); stops on release. */
  keepAlive(): void;
  release(): void;
}

interface LockBody {
  pid: number;
  host: string;
  nonce: string;
  purpose: string;
  at: string;
}

const HOST = hostname();

/**
 * Creates the lock with its content in one step: the body goes to a private file that is then
 * hard-linked into place (link fails if the lock exists), so nobody ever sees an empty lock.
 */
function tryCreate(path: string, body: LockBody, retry = true): boolean {
  const tmp = `${path}.${body.nonce}`;
  try {
    writeFileSync(tmp, JSON.stringify(body), { mode: 0o644 });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' && retry) {
      mkdirSync(dirname(path), { recursive: true });
      return tryCreate(path, body, false);
    }
    throw new AgentnetError('BRIDGE_WRITE_FAILED', `cannot create lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw new AgentnetError('BRIDGE_WRITE_FAILED', `cannot create lock file ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone */
    }
  }
}

function readBody(path: string): LockBody | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockBody;
  } catch {
    return undefined; // gone, or created but not yet written
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** Why the lock at `path` is stale, or undefined if it is held by a live holder. */
function staleReason(path: string, staleMs: number): { reason: string; body: LockBody | undefined } | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return undefined; // released meanwhile; the next try will take it
  }
  const body = readBody(path);
  if (body && body.host === HOST && body.pid !== process.pid && !processAlive(body.pid)) {
    return { reason: `holder pid ${body.pid} on this host is dead`, body };
  }
  const age = Date.now() - mtimeMs;
  if (age > staleMs) return { reason: `not refreshed for ${Math.round(age / 1000)} s`, body };
  return undefined;
}

/**
 * Breaks a stale lock. Breakers take turns (an O_EXCL `.breaking` file), and the one whose turn
 * it is checks that the lock is still the stale one it saw before removing it: while the stale
 * file exists nobody else can take the lock, so that check cannot be outrun.
 */
function breakStale(path: string, seen: LockBody | undefined, staleMs: number, logger: Logger, reason: string): void {
  const turn = `${path}.breaking`;
  try {
    writeFileSync(turn, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') return;
    try {
      // A breaker that died mid-turn: its turn ends after a few seconds.
      if (Date.now() - statSync(turn).mtimeMs > 5_000) unlinkSync(turn);
    } catch {
      /* someone else cleaned it up */
    }
    return;
  }
  try {
    const now = staleReason(path, staleMs);
    const current = readBody(path);
    if (!now || (seen && current?.nonce !== seen.nonce)) return; // released, or replaced by a live holder
    unlinkSync(path);
    logger.warn({ lock: path, holder: seen ? `${seen.host}:${seen.pid}` : 'unknown', reason }, 'broke a stale bridge lock');
  } catch {
    /* released meanwhile */
  } finally {
    try {
      unlinkSync(turn);
    } catch {
      /* gone */
    }
  }
}

/** Who holds the lock at `path`, and whether it is stale (for `agentnet doctor`); undefined when free. */
export function inspectFileLock(path: string, staleMs = 30_000): { holder: string; stale?: string } | undefined {
  const body = readBody(path);
  let exists = true;
  try {
    statSync(path);
  } catch {
    exists = false;
  }
  if (!exists) return undefined;
  const stale = staleReason(path, staleMs);
  return { holder: body ? `pid ${body.pid} on ${body.host} (${body.purpose})` : 'unknown', ...(stale ? { stale: stale.reason } : {}) };
}

/** Takes the lock immediately or returns undefined; breaks a stale lock on the way. */
export function tryAcquireFileLock(path: string, options: FileLockOptions = {}): FileLock | undefined {
  const staleMs = options.staleMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const body: LockBody = {
    pid: process.pid,
    host: HOST,
    nonce: randomBytes(8).toString('hex'),
    purpose: options.purpose ?? 'bridge',
    at: new Date().toISOString(),
  };
  if (!tryCreate(path, body)) {
    const stale = staleReason(path, staleMs);
    if (!stale) return undefined;
    breakStale(path, stale.body, staleMs, logger, stale.reason);
    if (!tryCreate(path, body)) return undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  const acquiredAt = Date.now();
  let touched = Date.now();
  const touch = () => {
    const now = new Date();
    touched = now.getTime();
    try {
      utimesSync(path, now, now);
    } catch {
      /* release() will report a lost lock */
    }
  };
  return {
    path,
    touch() {
      if (Date.now() - touched > staleMs / 6) touch();
    },
    keepAlive() {
      if (timer) return;
      timer = setInterval(touch, Math.max(50, Math.floor(staleMs / 3)));
      timer.unref();
    },
    release() {
      if (timer) clearInterval(timer);
      // A lock held for less than half the stale window cannot have been broken as stale:
      // skip the read-back (appends hold it for microseconds).
      if (timer === undefined && Date.now() - acquiredAt < staleMs / 2) {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
        return;
      }
      const current = readBody(path);
      if (current?.nonce !== body.nonce) {
        logger.error({ lock: path }, 'bridge lock was taken from us as stale before we released it');
        return;
      }
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
  };
}

/** Waits for the lock: spins on the event loop first (holders keep it for microseconds), then backs off. */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<FileLock> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const lock = tryAcquireFileLock(path, options);
    if (lock) return lock;
    if (Date.now() > deadline) {
      const holder = readBody(path);
      throw new AgentnetError(
        'BRIDGE_LOCK_TIMEOUT',
        `waited ${timeoutMs} ms for the bridge lock ${path}` +
          (holder ? ` held by pid ${holder.pid} on ${holder.host} (${holder.purpose}) since ${holder.at}` : '') +
          '. If no agentnet process is running there, delete the lock file.',
      );
    }
    if (attempt < 50) await yieldToLoop();
    else await sleep(Math.min(20, 1 + attempt / 25) * (0.5 + Math.random()));
  }
}
