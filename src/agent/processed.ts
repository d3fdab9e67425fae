/** The ids of messages an agent has handled, so a restart never handles one twice. */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../errors.ts';

const KEEP = 10_000;

export class ProcessedLog {
  readonly #file: string;
  readonly #ids: Set<string>;

  constructor(file: string) {
    this.#file = file;
    mkdirSync(dirname(file), { recursive: true });
    let ids: string[] = [];
    try {
      ids = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    if (ids.length > 2 * KEEP) {
      ids = ids.slice(-KEEP);
      writeFileSync(file, ids.join('\n') + '\n');
    }
    this.#ids = new Set(ids);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    if (this.#ids.has(id)) return;
    appendFileSync(this.#file, id + '\n');
    this.#ids.add(id);
  }
}
