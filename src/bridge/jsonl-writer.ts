/**
 * Appends lines to the bridge file. Appends queued while a write is in progress go out
 * together in one write() under one lock (group commit), so many callers in one process cost
 * one lock round-trip. Each write is a single O_APPEND write of whole lines.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { AgentnetError, errnoCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { acquireFileLock } from './lock.ts';
import type { JsonlFiles } from './jsonl-files.ts';
import { MAX_LINE_BYTES } from './message.ts';

interface Pending {
  line: string;
  /** Instead of a fixed line: decides under the lock what to write (read-then-write). */
  decide?: () => string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface JsonlWriterOptions {
  files: JsonlFiles;
  fsync: boolean;
  lockTimeoutMs: number;
  logger: Logger;
}

export class JsonlWriter {
  readonly #opts: JsonlWriterOptions;
  #queue: Pending[] = [];
  #flushing = false;
  #fd: number | undefined;
  #ino: bigint | undefined;
  /** The file size right after our last write, when we know it. */
  #end = -1;

  constructor(options: JsonlWriterOptions) {
    this.#opts = options;
  }

  write(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ line, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  /**
   * Runs `decide` under the bridge lock, after every earlier append, and writes what it returns
   * (whole lines, or '' for nothing) in one write: a read-then-write no other locked writer can
   * come between.
   */
  writeWith<T>(decide: () => { text: string; result: T }): Promise<T> {
    let result: T;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({
        line: '',
        decide: () => {
          const d = decide();
          result = d.result;
          return d.text;
        },
        resolve,
        reject,
      });
      if (!this.#flushing) void this.#flush();
    }).then(() => result);
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#takeBatch();
        try {
          const lock = await acquireFileLock(this.#opts.files.lock, {
            timeoutMs: this.#opts.lockTimeoutMs,
            logger: this.#opts.logger,
            purpose: 'append',
          });
          try {
            const text = batch.map((p) => (p.decide ? p.decide() : p.line)).join('');
            if (text !== '') this.#writeLocked(text);
          } finally {
            lock.release();
          }
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  #takeBatch(): Pending[] {
    // A read-then-write goes alone: what it reads must include every append queued before it.
    if (this.#queue[0]?.decide) return this.#queue.splice(0, 1);
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && !this.#queue[n]!.decide) {
      bytes += this.#queue[n]!.line.length;
      if (n > 0 && bytes > MAX_LINE_BYTES) break;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  /** The open file (reopened if rotation replaced it since the last write) and its size. */
  #file(): { fd: number; size: number } {
    const live = this.#opts.files.live;
    let st: { ino: bigint; size: bigint } | undefined;
    try {
      st = statSync(live, { bigint: true });
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      mkdirSync(this.#opts.files.dir, { recursive: true });
    }
    if (this.#fd !== undefined && st !== undefined && st.ino === this.#ino) return { fd: this.#fd, size: Number(st.size) };
    this.close();
    this.#fd = openSync(live, 'a+', 0o644);
    const opened = fstatSync(this.#fd, { bigint: true });
    this.#ino = opened.ino;
    return { fd: this.#fd, size: Number(opened.size) };
  }

  #writeLocked(text: string): void {
    let fd: number;
    let size: number;
    try {
      ({ fd, size } = this.#file());
    } catch (err) {
      throw writeError(this.#opts.files.live, err);
    }
    // Our own last write ended in a newline; only a file someone else wrote needs the check.
    if (size > 0 && size !== this.#end && !endsWithNewline(fd, size)) {
      // A writer crashed mid-line. Start ours on a fresh line; the torn one becomes a
      // malformed line that readers log and skip, and ours stays intact.
      this.#opts.logger.warn({ file: this.#opts.files.live, offset: size }, 'bridge file ended in a torn line; starting a new line');
      text = '\n' + text;
    }
    const buf = Buffer.from(text);
    try {
      const written = writeSync(fd, buf);
      if (written !== buf.length) throw Object.assign(new Error(`short write: ${written} of ${buf.length} bytes`), { code: 'ENOSPC' });
      this.#end = size + buf.length;
    } catch (err) {
      this.#end = -1;
      // We hold the lock, so nobody appended after us: cut our partial line off again.
      try {
        ftruncateSync(fd, size);
      } catch {
        /* the next append starts on a fresh line anyway */
      }
      throw writeError(this.#opts.files.live, err);
    }
    // The lines are whole and readers may have them already: a failed sync is reported, never undone.
    if (this.#opts.fsync) {
      try {
        fdatasyncSync(fd);
      } catch (err) {
        throw writeError(this.#opts.files.live, err);
      }
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#ino = undefined;
    this.#end = -1;
  }
}

function endsWithNewline(fd: number, size: number): boolean {
  const one = Buffer.allocUnsafe(1);
  return readSync(fd, one, 0, 1, size - 1) === 1 && one[0] === 0x0a;
}

function writeError(file: string, err: unknown): AgentnetError {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AgentnetError('BRIDGE_DISK_FULL', `no space left to append to ${file}; nothing was written. Free disk space (or rotate the bridge: agentnet bridge rotate) and retry.`, { cause: err });
  }
  return new AgentnetError('BRIDGE_WRITE_FAILED', `cannot append to ${file}: ${(err as Error).message}`, { cause: err });
}
