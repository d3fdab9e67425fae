/**
 * Rotation for the jsonl backend: messages that are done and whose last record is older
 * than N days move to `<stem>-archive-YYYY-MM.jsonl` (month of the message's first record).
 *
 * Under the bridge lock (appends wait for it), rotation writes the kept lines byte for byte to
 * a new file, leaves a marker saying where readers of the old file continue in the new one,
 * keeps the old file reachable as `.prev` (for readers that were stopped), and renames the new
 * file into place. Archive writes are fsynced before the swap and deduplicated, so a crash at
 * any point loses nothing and a re-run does not archive a record twice.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  fsyncSync,
  linkSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { errnoCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { RotateOptions, RotateResult } from './bridge.ts';
import { fileIdentity, MARKER_HISTORY, openIfExists, readMarkers, type JsonlFiles, type RotationMarker } from './jsonl-files.ts';
import { readLines } from './jsonl-lines.ts';
import { scanFile } from './jsonl-read.ts';
import { parseLine } from './message.ts';
import { acquireFileLock } from './lock.ts';

const DAY_MS = 86_400_000;

/** Buffers writes to a file descriptor in 1 MiB blocks. */
class BlockWriter {
  readonly fd: number;
  #chunks: Buffer[] = [];
  #size = 0;
  written = 0;
  constructor(fd: number) {
    this.fd = fd;
  }
  push(text: string | Buffer): void {
    const buf = typeof text === 'string' ? Buffer.from(text) : text;
    this.#chunks.push(buf);
    this.#size += buf.length;
    if (this.#size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.#size === 0) return;
    const buf = Buffer.concat(this.#chunks, this.#size);
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
    this.written += buf.length;
    this.#chunks = [];
    this.#size = 0;
  }
}

function recordKey(text: string): string {
  const parsed = parseLine(text);
  return parsed.ok ? `${parsed.message.id}\u0000${parsed.message.status}\u0000${parsed.message.ts}` : text;
}

function openDurable(path: string, flags: string): BlockWriter {
  return new BlockWriter(openSync(path, flags, 0o644));
}

/**
 * Opens an archive (or quarantine) file for appending, first cutting off a torn last line a
 * crashed rotation left: those records are still in the live file, since the swap never happened.
 */
function openAppendable(path: string): BlockWriter {
  const fd = openSync(path, 'a+', 0o644);
  const size = fstatSync(fd).size;
  if (size > 0) {
    const chunk = Buffer.allocUnsafe(Math.min(size, 1 << 20));
    readSync(fd, chunk, 0, chunk.length, size - chunk.length);
    if (chunk[chunk.length - 1] !== 0x0a) {
      const nl = chunk.lastIndexOf(0x0a);
      ftruncateSync(fd, nl === -1 ? size - chunk.length : size - chunk.length + nl + 1);
    }
  }
  return new BlockWriter(fd);
}

function finish(w: BlockWriter): void {
  w.flush();
  fsyncSync(w.fd);
  closeSync(w.fd);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* some file systems cannot fsync a directory; the rename is still atomic */
  }
}

export async function rotateJsonl(files: JsonlFiles, logger: Logger, lockTimeoutMs: number, options: RotateOptions = {}): Promise<RotateResult> {
  const days = options.olderThanDays ?? 30;
  const cutoff = (options.now ?? new Date()).getTime() - days * DAY_MS;
  const result: RotateResult = { archived: 0, kept: 0, archives: [], quarantined: 0 };
  const lock = await acquireFileLock(files.lock, { timeoutMs: lockTimeoutMs, logger, purpose: 'rotate' });
  lock.keepAlive();
  let fd: number | undefined;
  let tmp: string | undefined;
  let swapped = false;
  try {
    fd = openIfExists(files.live);
    if (fd === undefined) return result;
    const oldStat = fstatSync(fd, { bigint: true });
    const size = Number(oldStat.size);

    // Pass 1: each message's first and last record.
    const seen = new Map<string, { firstTs: string; lastTs: string; status: string }>();
    let malformed = 0;
    scanFile(fd, files.live, logger, {
      limit: size,
      onMessage: (m) => {
        lock.touch();
        const s = seen.get(m.id);
        if (s) {
          s.lastTs = m.ts;
          s.status = m.status;
        } else seen.set(m.id, { firstTs: m.ts, lastTs: m.ts, status: m.status });
      },
      onMalformed: () => malformed++,
      quiet: true,
    });
    const archiveMonth = new Map<string, string>();
    for (const [id, s] of seen) {
      if (s.status === 'done' && Date.parse(s.lastTs) < cutoff) archiveMonth.set(id, s.firstTs.slice(0, 7));
    }
    result.archived = archiveMonth.size;
    result.kept = seen.size - archiveMonth.size;
    if (archiveMonth.size === 0 && malformed === 0) return result;

    // Pass 2: route every line, byte for byte.
    tmp = `${files.live}.rotate-${process.pid}.tmp`;
    const kept = openDurable(tmp, 'w');
    const archives = new Map<string, { writer: BlockWriter; existing: Set<string> }>();
    let quarantine: BlockWriter | undefined;
    let endLine = 0;
    let end = 0;
    let keptLines = 0;
    for (const raw of readLines(fd, { offset: 0, line: 0 }, size)) {
      lock.touch(); // the loop is synchronous: the keep-alive timer cannot fire in it
      endLine = raw.lineNo;
      end = raw.end;
      if (raw.text.trim() === '') continue;
      const parsed = parseLine(raw.text);
      if (!parsed.ok) {
        quarantine ??= openAppendable(files.quarantine);
        quarantine.push(raw.text + '\n');
        result.quarantined++;
        continue;
      }
      const month = archiveMonth.get(parsed.message.id);
      if (month === undefined) {
        kept.push(raw.text + '\n');
        keptLines++;
        continue;
      }
      let archive = archives.get(month);
      if (!archive) {
        const path = files.archive(month);
        const existing = new Set<string>();
        try {
          const afd = openSync(path, 'r');
          try {
            for (const line of readLines(afd, { offset: 0, line: 0 })) existing.add(recordKey(line.text));
          } finally {
            closeSync(afd);
          }
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw err;
        }
        archive = { writer: openAppendable(path), existing };
        archives.set(month, archive);
        result.archives.push(path);
      }
      // A crash after archiving but before the swap leaves the record in both; skip it then.
      if (!archive.existing.has(recordKey(raw.text))) archive.writer.push(raw.text + '\n');
    }
    kept.flush();
    const resumeAt = kept.written;
    // A torn tail stays a torn tail: copied as is, so its writer's newline completes it.
    if (end < size) {
      const tail = Buffer.allocUnsafe(size - end);
      readSync(fd, tail, 0, tail.length, end);
      kept.push(tail);
    }
    for (const a of archives.values()) finish(a.writer);
    if (quarantine) finish(quarantine);
    kept.flush();
    fsyncSync(kept.fd);
    const newStat = fstatSync(kept.fd, { bigint: true });
    closeSync(kept.fd);

    const marker: RotationMarker = {
      version: 1,
      at: new Date().toISOString(),
      from: { file: fileIdentity(oldStat), end, endLine },
      to: { file: fileIdentity(newStat), resumeAt, resumeLine: keptLines },
    };
    try {
      unlinkSync(files.prev);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    linkSync(files.live, files.prev);
    const history = [...readMarkers(files), marker].slice(-MARKER_HISTORY);
    writeFileSync(`${files.marker}.tmp`, JSON.stringify(history) + '\n');
    renameSync(`${files.marker}.tmp`, files.marker);
    renameSync(tmp, files.live);
    swapped = true;
    fsyncDir(files.dir);
    logger.info({ archived: result.archived, kept: result.kept, quarantined: result.quarantined }, 'bridge rotated');
    return result;
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (tmp && !swapped) rmSync(tmp, { force: true }); // a failed rotation leaves nothing behind
    lock.release();
  }
}
