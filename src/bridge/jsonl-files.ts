/** Where the jsonl backend keeps its files, all beside the bridge file. */
import { openSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../errors.ts';

export interface JsonlFiles {
  /** The live bridge, e.g. `messages.jsonl`. */
  live: string;
  dir: string;
  /** Held for every append (microseconds) and for rotation. */
  lock: string;
  /** Written by rotation before it swaps files: how readers map their position to the new file. */
  marker: string;
  /** A hard link to the file rotation replaced, so a reader that was stopped can drain it. */
  prev: string;
  /** Lines that were not valid BridgeMessages, moved out of the live file by rotation. */
  quarantine: string;
  cursors: string;
  archive(month: string): string;
  /** Matches archive file names; group 1 is `YYYY-MM`. */
  archivePattern: RegExp;
}

export function jsonlFiles(live: string): JsonlFiles {
  const dir = dirname(live);
  const stem = basename(live).replace(/\.jsonl$/, '');
  const escaped = stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    live,
    dir,
    lock: `${live}.lock`,
    marker: `${live}.rotation.json`,
    prev: `${live}.prev`,
    quarantine: join(dir, `${stem}-malformed.jsonl`),
    cursors: join(dir, 'cursors'),
    archive: (month) => join(dir, `${stem}-archive-${month}.jsonl`),
    archivePattern: new RegExp(`^${escaped}-archive-(\\d{4}-\\d{2})\\.jsonl$`),
  };
}

/** What rotation leaves for readers: file `from` was replaced by `to`. */
export interface RotationMarker {
  version: 1;
  at: string;
  from: { file: string; end: number; endLine: number };
  to: { file: string; resumeAt: number; resumeLine: number };
}

/** A file's identity (`dev:ino`), stable across renames; from bigint stats so 64-bit inodes survive. */
export function fileIdentity(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}

/** Opens a file for reading, or returns undefined if it does not exist (yet). */
export function openIfExists(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}
