/**
 * Delivery for the jsonl backend: wakes on a file-system notification (inotify through
 * fs.watch on the bridge's directory) or, as a safety net and for network mounts where
 * notifications never come, on a poll; then reads from its cursor (file identity + byte
 * offset), so noticing a new message costs the same however long the file is.
 */
import { closeSync, fstatSync, openSync, watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { AgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Cursor, MessageHandler, SubscribeOptions, Subscription } from './bridge.ts';
import type { FileCursorStore } from './cursor-store.ts';
import { matchesFilter } from './filter.ts';
import { fileIdentity, identityOf, markerFrom, openIfExists, type JsonlFiles, type RotationMarker } from './jsonl-files.ts';
import { endPosition, readLines, startsLine, type FilePosition } from './jsonl-lines.ts';
import { LoopSlice } from './loop-slice.ts';
import { parseLine } from './message.ts';
import { coalescedRunner } from './wake.ts';

export interface JsonlSubscriptionDeps {
  files: JsonlFiles;
  logger: Logger;
  cursors: FileCursorStore;
  /** Poll interval; the poll runs alongside notifications as a safety net. */
  pollIntervalMs: number;
  /** How long a read holds the event loop before it gives it a turn (loop-slice.ts). */
  sliceMs: number;
  /** Use file-system notifications (off for network mounts that do not deliver them). */
  watch: boolean;
}

const SAVE_EVERY = 100;
/** At most this many handled-then-carried lines are remembered; beyond it a carried line may come twice (at-least-once). */
const MAX_HANDLED = 10_000;

export function encodeCursor(file: string, pos: FilePosition): Cursor {
  return `j1:${file}:${pos.offset}:${pos.line}`;
}

export function decodeCursor(cursor: Cursor): { file: string; pos: FilePosition } {
  const m = /^j1:(\d+:\d+:\d+):(\d+):(\d+)$/.exec(cursor);
  if (!m) throw new AgentnetError('USAGE', `"${cursor}" is not a jsonl bridge cursor (expected j1:<dev>:<ino>:<birth>:<offset>:<line>)`);
  return { file: m[1]!, pos: { offset: Number(m[2]), line: Number(m[3]) } };
}

export class JsonlSubscription implements Subscription {
  readonly ready: Promise<void>;
  readonly #deps: JsonlSubscriptionDeps;
  readonly #options: SubscribeOptions;
  readonly #handler: MessageHandler;
  #fd: number | undefined;
  #file: string | undefined;
  #pos: FilePosition = { offset: 0, line: 0 };
  #fileName: string;
  /** Set while reading the previous generation (after a restart across a rotation). */
  #draining: RotationMarker | undefined;
  /**
   * Lines this reader handled in a replaced file past its rotation's `from.end`: rotation carries
   * them into the live file, where each is skipped once instead of delivered again.
   */
  readonly #handled = new Map<string, number>();
  #handledCount = 0;
  #closed = false;
  #unsaved = 0;
  readonly #scratch = { buf: Buffer.allocUnsafe(64 * 1024) };
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: JsonlSubscriptionDeps, options: SubscribeOptions, handler: MessageHandler) {
    this.#deps = deps;
    this.#options = options;
    this.#handler = handler;
    this.#fileName = deps.files.live;
    if (options.signal?.aborted) this.#closed = true;
    else options.signal?.addEventListener('abort', () => void this.close(), { once: true });
    this.ready = this.#start();
    this.ready.catch(() => {}); // reported to whoever awaits ready
  }

  cursor(): Cursor | undefined {
    return this.#file === undefined ? undefined : encodeCursor(this.#file, this.#pos);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    if (this.#timer) clearInterval(this.#timer);
    this.#save(true);
    this.#closeFd();
  }

  async #start(): Promise<void> {
    await null; // let the caller attach to `ready` before any synchronous work
    const { consumer } = this.#options;
    if (this.#closed) return;
    let saved = consumer ? this.#deps.cursors.load(consumer) : undefined;
    if (saved !== undefined) {
      try {
        decodeCursor(saved);
      } catch {
        // A damaged (or older-format) saved cursor must not stop the consumer: start over from
        // `from`, and let the consumer's own dedupe absorb what it sees again.
        this.#deps.logger.warn({ consumer, cursor: saved }, 'saved cursor is unreadable; starting from the subscription\'s `from`');
        saved = undefined;
      }
    }
    this.#position(saved ?? this.#options.from ?? 'end');
    if (this.#closed) {
      this.#closeFd();
      return;
    }
    // A new consumer records where it starts, so a crash in its first handler redelivers that record.
    if (consumer && saved === undefined) this.#save(true);
    const { files, logger } = this.#deps;
    if (this.#deps.watch) {
      const names = new Set([basename(files.live), basename(files.marker)]);
      try {
        this.#watcher = watch(files.dir, { persistent: true }, (_event, name) => {
          if (name === null || names.has(String(name))) this.#wake();
        });
        this.#watcher.on('error', (err) => {
          logger.warn({ dir: files.dir, error: err.message }, 'file-system notifications failed; polling only');
          this.#watcher?.close();
          this.#watcher = undefined;
        });
      } catch (err) {
        logger.warn({ dir: files.dir, error: (err as Error).message }, 'file-system notifications unavailable; polling only');
      }
    }
    this.#timer = setInterval(() => this.#wake(), this.#deps.pollIntervalMs);
    this.#wake();
  }

  #closeFd(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(path: string, pos: FilePosition): boolean {
    if (this.#closed) return false;
    const fd = openIfExists(path);
    if (fd === undefined) return false;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = fd;
    this.#file = fileIdentity(fstatSync(fd, { bigint: true }));
    this.#fileName = path;
    this.#pos = pos;
    return true;
  }

  #position(from: 'start' | 'end' | Cursor): void {
    const { files, logger } = this.#deps;
    if (!this.#open(files.live, { offset: 0, line: 0 })) {
      // No bridge yet: create it, so the position has a file identity to be saved against.
      closeSync(openSync(files.live, 'a'));
      this.#open(files.live, { offset: 0, line: 0 });
    }
    if (from === 'start') return;
    if (from === 'end') {
      this.#pos = endPosition(this.#fd!, fstatSync(this.#fd!).size);
      return;
    }
    const { file, pos } = decodeCursor(from);
    // Open first, then compare: a rotation between a stat and an open cannot fool us.
    if (this.#file === file) {
      this.#pos = pos;
      return;
    }
    const marker = markerFrom(files, file);
    if (marker && this.#open(files.prev, pos)) {
      if (this.#file === file) {
        this.#draining = marker;
        return;
      }
    }
    logger.warn(
      { consumer: this.#options.consumer, cursor: from, file: files.live },
      'saved cursor points into a bridge file that no longer exists (rotated repeatedly, or replaced); replaying the live file from the start',
    );
    this.#open(files.live, { offset: 0, line: 0 });
  }

  readonly #wake = coalescedRunner(() => this.#pump(), {
    stopped: () => this.#closed,
    onError: (err) => {
      this.#deps.logger.error({ file: this.#deps.files.live, error: (err as Error).message }, 'bridge read failed; retrying on the next poll');
    },
  });

  async #pump(): Promise<void> {
    const { files, logger } = this.#deps;
    for (let step = 0; step < 4 && !this.#closed; step++) {
      if (this.#fd === undefined && !this.#open(files.live, { offset: 0, line: 0 })) return;
      const marker = this.#draining;
      if (marker) {
        await this.#deliver(marker.from.end);
        if (this.#closed) return;
        this.#draining = undefined;
        this.#switchTo(marker);
        continue;
      }
      const live = identityOf(files.live);
      if (live === undefined) return void (await this.#deliver());
      if (live !== this.#file) {
        // Rotation replaced our file: finish it up to where rotation copied it (lockless writers'
        // later lines are carried into the live file, and delivered from there), then map into the new one.
        const rotation = markerFrom(files, this.#file!);
        await this.#deliver(rotation?.from.end);
        if (this.#closed) return;
        if (rotation) this.#switchTo(rotation);
        else {
          logger.warn({ file: files.live }, 'bridge file was replaced without a rotation marker; reading the new file from the start');
          this.#open(files.live, { offset: 0, line: 0 });
        }
        continue;
      }
      const size = fstatSync(this.#fd!).size;
      if (size < this.#pos.offset || !startsLine(this.#fd!, this.#pos.offset)) {
        logger.warn({ file: files.live, offset: this.#pos.offset }, 'bridge file was rewritten in place (by a seed-style writer?); re-reading it from the start');
        this.#pos = { offset: 0, line: 0 };
      }
      await this.#deliver();
      return;
    }
  }

  /** Moves from a drained file to where its rotation put the rest: the live file, or `.prev` if it was rotated again. */
  #switchTo(marker: RotationMarker): void {
    const { files, logger } = this.#deps;
    if (this.#pos.offset < marker.from.end) logger.debug({ at: this.#pos.offset, end: marker.from.end }, 'rotated file ended in a torn line');
    // Read past `from.end` while the file was still live (or before a restart): those lines are carried.
    else if (this.#pos.offset > marker.from.end) this.#rememberHandled(marker.from.end);
    const resume = { offset: marker.to.resumeAt, line: marker.to.resumeLine };
    if (this.#open(files.live, resume) && this.#file === marker.to.file) return;
    if (this.#open(files.prev, resume) && this.#file === marker.to.file) {
      const next = markerFrom(files, marker.to.file);
      if (next) {
        this.#draining = next;
        return;
      }
    }
    logger.warn({ file: files.live }, 'bridge rotated more often than this reader could follow; reading the live file from the start');
    if (!this.#open(files.live, { offset: 0, line: 0 })) this.#closeFd();
  }

  #rememberHandled(from: number): void {
    let remembered = 0;
    for (const raw of readLines(this.#fd!, { offset: from, line: 0 }, this.#pos.offset)) {
      if (raw.text.trim() === '' || this.#handledCount >= MAX_HANDLED) continue;
      this.#handled.set(raw.text, (this.#handled.get(raw.text) ?? 0) + 1);
      this.#handledCount++;
      remembered++;
    }
    this.#deps.logger.debug({ lines: remembered, from, to: this.#pos.offset }, 'read past the end rotation copied; the carried copies of those lines will be skipped');
  }

  /** True (and forgotten) if `text` is a carried copy of a line this reader handled already. */
  #alreadyHandled(text: string): boolean {
    const n = this.#handled.get(text);
    if (n === undefined) return false;
    if (n > 1) this.#handled.set(text, n - 1);
    else this.#handled.delete(text);
    this.#handledCount--;
    return true;
  }

  async #deliver(limit?: number): Promise<void> {
    const { logger } = this.#deps;
    const { filter, onError } = this.#options;
    const fd = this.#fd!;
    // Lines that are not for this reader are read without awaiting anything: a first start over
    // a month of them would hold the event loop for a second without these turns.
    const slice = new LoopSlice(this.#deps.sliceMs);
    for (const raw of readLines(fd, this.#pos, limit, this.#scratch)) {
      if (slice.spent()) await slice.yield();
      if (this.#closed || fd !== this.#fd) return;
      if (raw.text.trim() !== '' && !(this.#handledCount > 0 && this.#alreadyHandled(raw.text))) {
        const parsed = parseLine(raw.text);
        if (!parsed.ok) {
          logger.warn({ file: this.#fileName, line: raw.lineNo, error: parsed.error }, 'skipped a malformed bridge line');
        } else if (matchesFilter(parsed.message, filter)) {
          const next = encodeCursor(this.#file!, { offset: raw.end, line: raw.lineNo });
          try {
            await this.#handler(parsed.message, next);
          } catch (err) {
            if (onError) onError(err, parsed.message);
            else logger.error({ id: parsed.message.id, error: (err as Error).message }, 'bridge message handler failed; skipped');
          }
          if (this.#closed) return; // the handler's record counts as unhandled if we closed meanwhile
          this.#pos = { offset: raw.end, line: raw.lineNo };
          this.#unsaved++;
          this.#save(); // a handled record is never handed out again after a crash
          continue;
        }
      }
      this.#pos = { offset: raw.end, line: raw.lineNo };
      if (++this.#unsaved >= SAVE_EVERY) this.#save();
    }
    this.#save();
  }

  #save(force = false): void {
    const { consumer } = this.#options;
    if (!consumer || this.#file === undefined || (this.#unsaved === 0 && !force)) return;
    this.#unsaved = 0;
    try {
      this.#deps.cursors.save(consumer, encodeCursor(this.#file, this.#pos));
    } catch (err) {
      this.#deps.logger.error({ consumer, error: (err as Error).message }, 'cannot save the bridge cursor');
    }
  }
}
