/**
 * The ids of the messages an agent handled most recently, so a redelivery is skipped without a
 * bridge lookup. Bounded, in memory and on disk: the oldest ids are forgotten once `keep` newer
 * ones are known. Forgetting is safe because this is only a fast path: an agent marks a message
 * done on the bridge before it adds its id here, and the runtime asks the bridge (`settled`)
 * before handling anything, so a forgotten id delivered again is found done there and skipped.
 * Before this bound the Set kept every id handled since the process started.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../errors.ts';

export const PROCESSED_KEEP = 10_000;

export interface ProcessedLogOptions {
  /** How many ids are remembered (default 10 000); the file holds at most twice as many lines. */
  keep?: number;
}

export class ProcessedLog {
  readonly #file: string;
  readonly #keep: number;
  /** Insertion-ordered: the first entry is the oldest. */
  readonly #ids: Set<string>;
  /** Lines in the file: when it reaches 2 × keep it is rewritten with the ids in memory. */
  #lines: number;

  constructor(file: string, options: ProcessedLogOptions = {}) {
    this.#file = file;
    this.#keep = Math.max(1, options.keep ?? PROCESSED_KEEP);
    mkdirSync(dirname(file), { recursive: true });
    let ids: string[] = [];
    try {
      ids = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    this.#lines = ids.length;
    this.#ids = new Set(ids.slice(-this.#keep));
    if (this.#lines >= 2 * this.#keep) this.#compact();
  }

  /** How many ids are remembered now (at most `keep`). */
  get size(): number {
    return this.#ids.size;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    if (this.#ids.has(id)) return;
    appendFileSync(this.#file, id + '\n');
    this.#lines++;
    this.#ids.add(id);
    if (this.#ids.size > this.#keep) this.#ids.delete(this.#ids.values().next().value!);
    if (this.#lines >= 2 * this.#keep) this.#compact();
  }

  /** Rewrites the file with the remembered ids; replaced atomically, so a crash leaves the old or the new one. */
  #compact(): void {
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, [...this.#ids].map((id) => id + '\n').join(''));
    renameSync(tmp, this.#file);
    this.#lines = this.#ids.size;
  }
}
