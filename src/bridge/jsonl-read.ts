/** Whole-file reads for the jsonl backend: the latest state of each message, live or archived. */
import { closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { openIfExists, type JsonlFiles } from './jsonl-files.ts';
import { readLines } from './jsonl-lines.ts';
import { parseLine, type BridgeMessage } from './message.ts';

export interface ScanHandlers {
  limit?: number;
  onMessage(message: BridgeMessage): void;
  onMalformed?(lineNo: number, error: string): void;
  /** Only parse lines containing this text (a cheap pre-filter for lookups by id). */
  containing?: string;
  /** Do not log malformed lines (the caller reports them). */
  quiet?: boolean;
}

export function scanFile(fd: number, name: string, logger: Logger, h: ScanHandlers): void {
  for (const raw of readLines(fd, { offset: 0, line: 0 }, h.limit)) {
    if (h.containing !== undefined && !raw.text.includes(h.containing)) continue;
    if (raw.text.trim() === '') continue;
    const parsed = parseLine(raw.text);
    if (parsed.ok) h.onMessage(parsed.message);
    else {
      h.onMalformed?.(raw.lineNo, parsed.error);
      if (!h.quiet) logger.warn({ file: name, line: raw.lineNo, error: parsed.error }, 'skipped a malformed bridge line');
    }
  }
}

/** Scans a file by path; a missing file is an empty one. */
export function scanPath(path: string, logger: Logger, h: ScanHandlers): boolean {
  const fd = openIfExists(path);
  if (fd === undefined) return false;
  try {
    scanFile(fd, path, logger, h);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Archive files, oldest month first. */
export function archivePaths(files: JsonlFiles): string[] {
  let names: string[];
  try {
    names = readdirSync(files.dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => files.archivePattern.test(n))
    .sort()
    .map((n) => join(files.dir, n));
}

/** The latest record of every message in these files; a Map keeps first-appearance order. */
export function latestStates(paths: string[], logger: Logger): Map<string, BridgeMessage> {
  const latest = new Map<string, BridgeMessage>();
  for (const path of paths) {
    scanPath(path, logger, { onMessage: (m) => void latest.set(m.id, m) });
  }
  return latest;
}

/** The latest record of one message: live file first, then archives from newest. */
export function findLatest(files: JsonlFiles, id: string, logger: Logger): BridgeMessage | undefined {
  return findIn([files.live, ...archivePaths(files).reverse()], id, logger);
}

/** The latest record of one message among the archives, newest first. */
export function findArchived(files: JsonlFiles, id: string, logger: Logger): BridgeMessage | undefined {
  return findIn(archivePaths(files).reverse(), id, logger);
}

function findIn(paths: string[], id: string, logger: Logger): BridgeMessage | undefined {
  for (const path of paths) {
    let found: BridgeMessage | undefined;
    scanPath(path, logger, { containing: id, quiet: true, onMessage: (m) => void (m.id === id && (found = m)) });
    if (found) return found;
  }
  return undefined;
}
