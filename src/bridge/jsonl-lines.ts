/** Reads complete lines of a bridge file from a byte position; a torn last line is left unread. */
import { fstatSync, readSync } from 'node:fs';

/** A place in a file: a byte offset at the start of a line and how many lines precede it. */
export interface FilePosition {
  offset: number;
  line: number;
}

export interface RawLine {
  text: string;
  /** 1-based line number, for messages a human can find with `sed -n Np`. */
  lineNo: number;
  start: number;
  /** Offset just past this line's newline: where the next read starts. */
  end: number;
}

const NEWLINE = 0x0a;

/**
 * Yields every complete line from `from` up to `limit` (default: the end of the file as it is
 * while reading). Bytes after the last newline are not yielded: a writer may still be writing
 * them, or a crash left them torn; they are read once their newline arrives.
 */
export function* readLines(
  fd: number,
  from: FilePosition,
  limit = Number.POSITIVE_INFINITY,
  /** A buffer to reuse across calls (grown in place), so a busy reader allocates nothing per wake-up. */
  scratch: { buf: Buffer } = { buf: Buffer.allocUnsafe(256 * 1024) },
): Generator<RawLine> {
  let buf = scratch.buf;
  let offset = from.offset;
  let line = from.line;
  while (offset < limit) {
    const want = Math.min(buf.length, limit - offset);
    const n = readSync(fd, buf, 0, want, offset);
    if (n === 0) return;
    let start = 0;
    let nl = buf.indexOf(NEWLINE);
    if (nl === -1 || nl >= n) {
      // No complete line in this chunk: either the line is longer than the buffer, or it is torn.
      if (n === buf.length) {
        buf = scratch.buf = Buffer.allocUnsafe(buf.length * 2);
        continue;
      }
      return;
    }
    while (nl !== -1 && nl < n) {
      line++;
      yield { text: buf.toString('utf8', start, nl), lineNo: line, start: offset + start, end: offset + nl + 1 };
      start = nl + 1;
      nl = buf.indexOf(NEWLINE, start);
    }
    offset += start;
  }
}

/** The position just past the last complete line before `size`: where a reader "from the end" starts. */
export function endPosition(fd: number, size: number): FilePosition {
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let line = 0;
  let lastEnd = 0;
  for (let offset = 0; offset < size; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
    if (n === 0) break;
    for (let i = buf.indexOf(NEWLINE); i !== -1 && i < n; i = buf.indexOf(NEWLINE, i + 1)) {
      line++;
      lastEnd = offset + i + 1;
    }
    offset += n;
  }
  return { offset: lastEnd, line };
}

/** True when the byte before `offset` is a newline, i.e. `offset` still starts a line. */
export function startsLine(fd: number, offset: number): boolean {
  if (offset === 0) return true;
  const one = Buffer.allocUnsafe(1);
  return readSync(fd, one, 0, 1, offset - 1) === 1 && one[0] === NEWLINE;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * The complete lines from `offset` (a line start) to the file's current end, as raw bytes: about
 * `max` bytes at most (more if one line is longer), empty if no newline has arrived yet. Bytes
 * after the last newline are left where they are: their writer may still be completing them.
 */
export function readCompleteLines(fd: number, offset: number, max = 4 << 20): Buffer {
  const size = fstatSync(fd).size;
  for (let want = Math.min(size - offset, max); want > 0; want = Math.min(want * 2, size - offset)) {
    const buf = Buffer.allocUnsafe(want);
    let n = 0;
    while (n < want) {
      const got = readSync(fd, buf, n, want - n, offset + n);
      if (got === 0) break;
      n += got;
    }
    const nl = n === 0 ? -1 : buf.lastIndexOf(NEWLINE, n - 1);
    if (nl !== -1) return buf.subarray(0, nl + 1);
    if (n < want || offset + want >= size) break; // only a torn (or still growing) line
  }
  return NO_BYTES;
}

/** How many lines (newlines) `bytes` holds. */
export function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) n++;
  return n;
}
