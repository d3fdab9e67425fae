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
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
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

function tryCreate(path: string, body: LockBody, retry = true): boolean {
  try {
    writeFileSync(path, JSON.stringify(body), { flag: 'wx', mode: 0o644 });
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    if (errnoCode(err) === 'ENOENT' && retry) {
      mkdirSync(dirname(path), { recursive: true });
      return tryCreate(path, body, false);
    }
    throw new AgentnetError('BRIDGE_WRITE_FAILED', `cannot create lock file ${path}: ${(err as Error).message}`, { cause: err });
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

/** Breaks a stale lock without ever removing a fresh one that replaced it meanwhile. */
function breakStale(path: string, seen: LockBody | undefined, logger: Logger, reason: string): void {
  const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else broke or released it
  }
  const moved = readBody(aside);
  if (seen && moved && moved.nonce !== seen.nonce) {
    // We moved a live lock that replaced the stale one after we looked: put it back.
    try {
      linkSync(aside, path);
    } catch {
      /* a third process took the lock meanwhile; the live holder keeps running */
    }
  } else {
    logger.warn({ lock: path, holder: seen ? `${seen.host}:${seen.pid}` : 'unknown', reason }, 'broke a stale bridge lock');
  }
  try {
    unlinkSync(aside);
  } catch {
    /* already gone */
  }
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
    breakStale(path, stale.body, logger, stale.reason);
    if (!tryCreate(path, body)) return undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  const acquiredAt = Date.now();
  return {
    path,
    keepAlive() {
      if (timer) return;
      timer = setInterval(() => {
        const now = new Date();
        try {
          utimesSync(path, now, now);
        } catch {
          /* release() will report a lost lock */
        }
      }, Math.max(50, Math.floor(staleMs / 3)));
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
