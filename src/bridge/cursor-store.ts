/** Saved subscription cursors, one small file per consumer, replaced atomically. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentnetError, errnoCode } from '../errors.ts';

const CONSUMER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function assertConsumerName(name: string): void {
  if (!CONSUMER.test(name)) {
    throw new AgentnetError('USAGE', `consumer name "${name}" must be letters, digits, "_", "-" or "." (at most 128)`);
  }
}

export class FileCursorStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  load(consumer: string): string | undefined {
    try {
      return readFileSync(join(this.dir, `${consumer}.cursor`), 'utf8').trim() || undefined;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  save(consumer: string, cursor: string): void {
    const file = join(this.dir, `${consumer}.cursor`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, cursor + '\n');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, cursor + '\n');
    }
    renameSync(tmp, file);
  }
}
