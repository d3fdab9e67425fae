/**
 * Rotation for the jsonl backend: messages that are done and whose last record is older
 * than N days move to `<stem>-archive-YYYY-MM.jsonl` (month of the message's first record).
 *
 * Under the bridge lock (agentnet's appends wait for it), rotation writes the kept lines byte for
 * byte to a new file, leaves a marker saying where readers of the old file continue in the new
 * one, keeps the old file reachable as `.prev` (for readers that were stopped), and renames the
 * new file into place. Archive writes are fsynced before the swap and deduplicated, so a crash at
 * any point loses nothing and a re-run does not archive a record twice.
 *
 * Seed-style writers take no lock: they append (O_APPEND) at any time, and one that opened the
 * path before the swap writes into the old file after it. So rotation (1) catches up, copying
 * lines appended since its snapshot to the new file until a read finds nothing new, then swaps;
 * (2) right after the swap, still under the lock, carries the old file's complete lines past the
 * copied end (`from.end`) to the new live file and records how far (`from.carried`); (3) at the
 * next rotation, first thing and again just before `.prev` is replaced, carries what `.prev` got
 * later still, skipping lines the live file already has (a crash may have hidden an earlier
 * carry), and quarantines a torn tail nobody will complete. A torn tail is never copied into the
 * new file: its writer completes it in the old one. Readers stop reading an old file at
 * `from.end`, so a carried line is delivered once, from the live file.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { errnoCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { RotateOptions, RotateResult } from './bridge.ts';
import { fileIdentity, identityOf, openIfExists, readMarkers, writeMarkers, type JsonlFiles, type RotationMarker } from './jsonl-files.ts';
import { countLines, readCompleteLines, readLines, startsLine } from './jsonl-lines.ts';
import { scanFile } from './jsonl-read.ts';
import { parseLine } from './message.ts';
import { acquireFileLock, type FileLock } from './lock.ts';

const DAY_MS = 86_400_000;
/** Catch-up and carry rounds before moving on; writers faster than the copy leave the rest to the next step. */
const MAX_ROUNDS = 10;

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

/** Temp files of rotations that died: under the lock no other rotation is running, so all are stale. */
function removeStaleTemps(files: JsonlFiles): void {
  const prefix = `${basename(files.live)}.rotate-`;
  for (const name of readdirSync(files.dir)) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) rmSync(join(files.dir, name), { force: true });
  }
}

/**
 * Appends whole lines to a file other writers append to (opened `a+`): one O_APPEND write, after
 * a newline if the file ends in a crashed writer's fragment (at worst an empty line, which readers skip).
 */
function appendLines(fd: number, lines: Buffer): void {
  const size = fstatSync(fd).size;
  const buf = startsLine(fd, size) ? lines : Buffer.concat([Buffer.from('\n'), lines]);
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
}

/** `lines` without those the file at `fd` already holds (a carry a crash kept from being recorded). */
function notYetIn(fd: number, lines: Buffer): Buffer {
  const texts = lines.toString('utf8').split('\n').slice(0, -1);
  const wanted = new Set(texts);
  const present = new Set<string>();
  for (const raw of readLines(fd, { offset: 0, line: 0 })) if (wanted.has(raw.text)) present.add(raw.text);
  const missing = texts.filter((t) => t.trim() !== '' && !present.has(t));
  return Buffer.from(missing.map((t) => t + '\n').join(''));
}

/**
 * Step 3: carries the lines `.prev` got past what was carried already (writers that opened the
 * old path before the swap and wrote after it) to the live file, and quarantines a torn tail
 * (its writer is long gone). Returns how many fragments were quarantined.
 */
function carryPrev(files: JsonlFiles, logger: Logger): number {
  const prevFd = openIfExists(files.prev);
  if (prevFd === undefined) return 0;
  let liveFd: number | undefined;
  try {
    const prev = fileIdentity(fstatSync(prevFd, { bigint: true }));
    // A rotation that died between linking `.prev` and its swap left `.prev` = the live file.
    if (identityOf(files.live) === prev || identityOf(files.live) === undefined) return 0;
    const markers = readMarkers(files);
    const marker = markers.findLast((m) => m.from.file === prev);
    if (!marker) return 0;
    const from = marker.from.carried ?? marker.from.end;
    const size = fstatSync(prevFd).size;
    if (size <= from) return 0;
    let lines = Buffer.alloc(0);
    for (let chunk = readCompleteLines(prevFd, from); chunk.length > 0; chunk = readCompleteLines(prevFd, from + lines.length)) {
      lines = Buffer.concat([lines, chunk]);
    }
    let quarantined = 0;
    if (lines.length > 0) {
      liveFd = openSync(files.live, 'a+');
      const missing = notYetIn(liveFd, lines);
      if (missing.length > 0) appendLines(liveFd, missing);
      logger.info({ lines: countLines(lines), appended: countLines(missing) }, 'carried lines a lockless writer appended to the replaced bridge file late');
    }
    let carried = from + lines.length;
    const tailEnd = fstatSync(prevFd).size;
    if (tailEnd > carried && readCompleteLines(prevFd, carried).length === 0) {
      const tail = Buffer.allocUnsafe(tailEnd - carried);
      readSync(prevFd, tail, 0, tail.length, carried);
      const q = openAppendable(files.quarantine);
      q.push(Buffer.concat([tail, Buffer.from('\n')]));
      finish(q);
      quarantined = 1;
      carried = tailEnd;
      logger.warn({ file: files.prev, offset: tailEnd - tail.length, bytes: tail.length }, 'replaced bridge file ended in a torn line nobody completed; quarantined it');
    }
    marker.from.carried = carried;
    writeMarkers(files, markers);
    return quarantined;
  } finally {
    closeSync(prevFd);
    if (liveFd !== undefined) closeSync(liveFd);
  }
}

/** Step 2: appends the old file's complete lines past `from` to the new live file; returns how far it got. */
function carry(oldFd: number, from: number, liveFd: number): number {
  let at = from;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const lines = readCompleteLines(oldFd, at);
    if (lines.length === 0) break;
    appendLines(liveFd, lines);
    at += lines.length;
  }
  return at;
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
    removeStaleTemps(files);
    result.quarantined += carryPrev(files, logger); // even when nothing is archived: late lines must not wait for a swap
    fd = openIfExists(files.live);
    if (fd === undefined) return result;
    const oldStat = fstatSync(fd, { bigint: true });
    const size = Number(oldStat.size);
    const { archiveMonth, malformed } = planArchive(fd, files, logger, lock, size, cutoff, result);
    if (archiveMonth.size === 0 && malformed === 0) return result;

    tmp = `${files.live}.rotate-${process.pid}.tmp`;
    const kept = openDurable(tmp, 'w');
    const routed = routeLines(fd, files, lock, size, archiveMonth, kept, result);

    // `.prev` is about to be replaced: carry what it got since the start, then point it at the old file.
    result.quarantined += carryPrev(files, logger);
    try {
      unlinkSync(files.prev);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    linkSync(files.live, files.prev);

    const history = readMarkers(files);
    const { marker, caughtUp } = catchUp(fd, files, lock, fileIdentity(oldStat), kept, routed, history);
    const liveFd = openSync(tmp, 'a+'); // O_APPEND: lockless writers append to it as soon as it is live
    try {
      renameSync(tmp, files.live);
      swapped = true;
      // Carry: lines that reached the old file after the last catch-up read.
      marker.from.carried = carry(fd, marker.from.end, liveFd);
    } finally {
      closeSync(liveFd);
    }
    writeMarkers(files, [...history, marker]);
    fsyncDir(files.dir);
    const carriedBytes = marker.from.carried - marker.from.end;
    logger.info({ archived: result.archived, kept: result.kept, quarantined: result.quarantined, caughtUp, carriedBytes }, 'bridge rotated');
    return result;
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (tmp && !swapped) rmSync(tmp, { force: true }); // a failed rotation leaves nothing behind
    lock.release();
  }
}

/** Pass 1: each message's first and last record; which messages to archive, by month. Counts archived and kept into `result`. */
function planArchive(
  fd: number,
  files: JsonlFiles,
  logger: Logger,
  lock: FileLock,
  size: number,
  cutoff: number,
  result: RotateResult,
): { archiveMonth: Map<string, string>; malformed: number } {
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
  return { archiveMonth, malformed };
}

/** How far pass 2 read the old file, and how many lines it kept. */
interface Routed {
  end: number;
  endLine: number;
  keptLines: number;
}

/** Pass 2: routes every line of the snapshot, byte for byte, to the kept file, its month's archive or the quarantine. */
function routeLines(
  fd: number,
  files: JsonlFiles,
  lock: FileLock,
  size: number,
  archiveMonth: Map<string, string>,
  kept: BlockWriter,
  result: RotateResult,
): Routed {
  const archives = new Map<string, { writer: BlockWriter; existing: Set<string> }>();
  let quarantine: BlockWriter | undefined;
  const routed: Routed = { end: 0, endLine: 0, keptLines: 0 };
  for (const raw of readLines(fd, { offset: 0, line: 0 }, size)) {
    lock.touch(); // the loop is synchronous: the keep-alive timer cannot fire in it
    routed.endLine = raw.lineNo;
    routed.end = raw.end;
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
      routed.keptLines++;
      continue;
    }
    let archive = archives.get(month);
    if (!archive) {
      archive = openArchive(files.archive(month));
      archives.set(month, archive);
      result.archives.push(files.archive(month));
    }
    // A crash after archiving but before the swap leaves the record in both; skip it then.
    if (!archive.existing.has(recordKey(raw.text))) archive.writer.push(raw.text + '\n');
  }
  for (const a of archives.values()) finish(a.writer);
  if (quarantine) finish(quarantine);
  return routed;
}

/** A month's archive, opened for appending, with the records it already holds. */
function openArchive(path: string): { writer: BlockWriter; existing: Set<string> } {
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
  return { writer: openAppendable(path), existing };
}

/**
 * Catch up: lines appended since the snapshot (lockless writers do not wait for the lock) are
 * newer than anything archived, so they are kept. A torn tail stays behind: its writer
 * completes it in the old file, and the carry after the swap brings it over. Writes the marker
 * after each round and closes the kept file.
 */
function catchUp(
  fd: number,
  files: JsonlFiles,
  lock: FileLock,
  from: string,
  kept: BlockWriter,
  routed: Routed,
  history: RotationMarker[],
): { marker: RotationMarker; caughtUp: number } {
  let { end, endLine, keptLines } = routed;
  const to = fileIdentity(fstatSync(kept.fd, { bigint: true }));
  let marker: RotationMarker;
  let caughtUp = 0;
  let more = readCompleteLines(fd, end);
  let round = 0;
  do {
    lock.touch();
    const lines = countLines(more);
    caughtUp += lines;
    kept.push(more);
    end += more.length;
    endLine += lines;
    keptLines += lines;
    kept.flush();
    fsyncSync(kept.fd);
    marker = {
      version: 1,
      at: new Date().toISOString(),
      from: { file: from, end, endLine },
      to: { file: to, resumeAt: kept.written, resumeLine: keptLines },
    };
    writeMarkers(files, [...history, marker]);
    more = readCompleteLines(fd, end);
  } while (more.length > 0 && ++round < MAX_ROUNDS);
  closeSync(kept.fd);
  return { marker, caughtUp };
}
