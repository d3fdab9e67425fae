/** Where the jsonl backend keeps its files, all beside the bridge file. */
import { openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoCode } from '../errors.ts';

export interface JsonlFiles {
  /** The live bridge, e.g. `messages.jsonl`. */
  live: string;
  dir: string;
  /** Held for every append (microseconds) and for rotation. */
  lock: string;
  /** Written by rotation before it swaps files: how readers map their position to the new file (the last few rotations). */
  marker: string;
  /** A hard link to the file the last rotation replaced, so a reader that was stopped can drain it. */
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

/**
 * What rotation leaves for readers: file `from` was replaced by `to`. Lines of `from` before
 * `end` are in `to` before `resumeAt` (or archived); lines a lockless writer put in `from` after
 * `end` are appended to the live file later (carried), so readers stop reading `from` at `end`.
 */
export interface RotationMarker {
  version: 1;
  at: string;
  /** `carried`: how far `from`'s later lines have been appended to the live file (absent until the first carry). */
  from: { file: string; end: number; endLine: number; carried?: number };
  to: { file: string; resumeAt: number; resumeLine: number };
}

/**
 * A file's identity (`dev:ino:birth`), stable across renames. The birth time tells a new file
 * from an old one whose inode number it reused; bigint stats keep 64-bit inodes exact.
 */
export function fileIdentity(st: { dev: bigint; ino: bigint; birthtimeNs: bigint }): string {
  return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
}

/** Rotations kept in the marker file, oldest first: a reader several rotations behind follows them. */
export const MARKER_HISTORY = 8;

/** Opens a file for reading, or returns undefined if it does not exist (yet). */
export function openIfExists(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** The recorded rotations, oldest first. */
export function readMarkers(files: JsonlFiles): RotationMarker[] {
  try {
    const parsed = JSON.parse(readFileSync(files.marker, 'utf8')) as RotationMarker | RotationMarker[];
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return [];
  }
}

/** Replaces the recorded rotations in one atomic step (callers hold the bridge lock). */
export function writeMarkers(files: JsonlFiles, markers: RotationMarker[]): void {
  writeFileSync(`${files.marker}.tmp`, JSON.stringify(markers.slice(-MARKER_HISTORY)) + '\n');
  renameSync(`${files.marker}.tmp`, files.marker);
}

/**
 * The rotation that replaced `file`, if it is still recorded. The last one: a rotation that died
 * before its swap left a marker for a swap that never happened, and the next one supersedes it.
 */
export function markerFrom(files: JsonlFiles, file: string): RotationMarker | undefined {
  return readMarkers(files).findLast((m) => m.from.file === file);
}

/** The identity of the file at `path` now, or undefined if there is none. */
export function identityOf(path: string): string | undefined {
  try {
    return fileIdentity(statSync(path, { bigint: true }));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}
