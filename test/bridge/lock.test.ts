import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { acquireFileLock, tryAcquireFileLock } from '../../src/bridge/lock.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { runNode, tempDir } from '../helpers/util.ts';

const WORKER = new URL('./lock-worker.ts', import.meta.url).pathname;

async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('bridge lock', () => {
  it('excludes other processes: concurrent read-modify-write loses no update', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const counter = join(dir, 'counter');
      writeFileSync(counter, '0');
      const runs = Array.from({ length: 4 }, () => runNode([WORKER, join(dir, 'x.lock'), counter, '150']));
      for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(counter, 'utf8'), '600');
      assert.ok(!existsSync(join(dir, 'x.lock')), 'released');
    } finally {
      cleanup();
    }
  });

  it('breaks a lock left by a dead process on this host at once', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'b.lock');
      writeFileSync(path, JSON.stringify({ pid: await deadPid(), host: hostname(), nonce: 'dead', purpose: 'append', at: new Date().toISOString() }));
      const logger = createMemoryLogger();
      const lock = tryAcquireFileLock(path, { logger });
      assert.ok(lock, 'taken without waiting');
      assert.match(String(logger.entries[0]?.reason), /dead/);
      lock.release();
    } finally {
      cleanup();
    }
  });

  it('lets exactly one of several processes through when they all find the same stale lock', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const counter = join(dir, 'counter');
      writeFileSync(counter, '0');
      const lock = join(dir, 'x.lock');
      writeFileSync(lock, JSON.stringify({ pid: await deadPid(), host: hostname(), nonce: 'dead', purpose: 'append', at: new Date().toISOString() }));
      const runs = Array.from({ length: 4 }, () => runNode([WORKER, lock, counter, '50']));
      for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(counter, 'utf8'), '200', 'no two processes held it at once');
    } finally {
      cleanup();
    }
  });

  it('breaks a lock from another host once it is older than staleMs', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'b.lock');
      writeFileSync(path, JSON.stringify({ pid: 1, host: 'other-host', nonce: 'far', purpose: 'rotate', at: '2026-01-01T00:00:00Z' }));
      assert.equal(tryAcquireFileLock(path, { staleMs: 60_000 }), undefined, 'fresh: respected');
      const old = new Date(Date.now() - 120_000);
      utimesSync(path, old, old);
      const lock = tryAcquireFileLock(path, { staleMs: 60_000 });
      assert.ok(lock, 'old: broken');
      lock.release();
    } finally {
      cleanup();
    }
  });

  it('gives up on a live holder with an error naming it', async () => {
    const { dir, cleanup } = tempDir();
    const holder = spawn('sleep', ['30']);
    try {
      const path = join(dir, 'b.lock');
      writeFileSync(path, JSON.stringify({ pid: holder.pid, host: hostname(), nonce: 'live', purpose: 'rotate', at: '2026-11-24T00:00:00Z' }));
      await assert.rejects(
        acquireFileLock(path, { timeoutMs: 100 }),
        (e) => isAgentnetError(e, 'BRIDGE_LOCK_TIMEOUT') && e.message.includes(`pid ${holder.pid}`) && e.message.includes('rotate'),
      );
    } finally {
      holder.kill();
      cleanup();
    }
  });

  it('keeps a long holder fresh so it is not judged stale', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'b.lock');
      const lock = tryAcquireFileLock(path, { staleMs: 150 })!;
      lock.keepAlive();
      // The control: a holder that does not keep its lock fresh is judged stale within the same wait.
      assert.ok(tryAcquireFileLock(join(dir, 'idle.lock'), { staleMs: 150 }), 'the control lock taken');
      await new Promise((r) => setTimeout(r, 400));
      assert.ok(tryAcquireFileLock(join(dir, 'idle.lock'), { staleMs: 150 }), 'the idle holder is stale by now');
      assert.equal(tryAcquireFileLock(path, { staleMs: 150 }), undefined);
      lock.release();
      assert.ok(tryAcquireFileLock(path, { staleMs: 150 }));
    } finally {
      cleanup();
    }
  });
});
