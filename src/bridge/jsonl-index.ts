/**
 * What the jsonl backend knows of the live file without reading it all again: where each
 * message's latest record is, and which requests have a response. Brought up to date from the
 * last offset it read (the file only grows until a rotation replaces it, then it starts over),
 * so looking up a message costs the same however long the file is.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { fileIdentity, openIfExists, type JsonlFiles } from './jsonl-files.ts';
import { readLines, startsLine, type FilePosition } from './jsonl-lines.ts';
import { LoopSlice, SLICE_MS } from './loop-slice.ts';
import { parseLine, parseLineJson, type BridgeMessage } from './message.ts';

interface Span {
  start: number;
  end: number;
}

/**
 * The fields the index keeps, from a line that parses as a message. The whole schema is checked
 * when a record is read back (`latest`); here it would cost ten times the JSON parse, and a
 * rotation or a start reads the whole file.
 */
function keyFields(text: string): { id: string; type: unknown; replyTo?: string } | undefined {
  let v: Record<string, unknown>;
  try {
    v = parseLineJson(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || typeof v.id !== 'string' || v.id === '' || typeof v.ts !== 'string' || typeof v.content !== 'string') return undefined;
  if (v.status !== 'pending' && v.status !== 'done') return undefined;
  return { id: v.id, type: v.type, ...(typeof v.replyTo === 'string' ? { replyTo: v.replyTo } : {}) };
}

export class JsonlIndex {
  readonly #files: JsonlFiles;
  #fd: number | undefined;
  #file: string | undefined;
  #pos: FilePosition = { offset: 0, line: 0 };
  /** Each message's latest record in the live file. */
  #latest = new Map<string, Span>();
  /** Request id → the id of the first response to it. */
  #answers = new Map<string, string>();
  readonly #scratch = { buf: Buffer.allocUnsafe(64 * 1024) };

  readonly #sliceMs: number;

  constructor(files: JsonlFiles, sliceMs = SLICE_MS) {
    this.#files = files;
    this.#sliceMs = sliceMs;
  }

  /** Reads what was appended since the last call, or the whole file if it was replaced. */
  refresh(): void {
    this.#read(undefined);
  }

  /**
   * The same read in slices that give the event loop a turn (a first read of a long file takes
   * hundreds of milliseconds); the synchronous `refresh` under the bridge's lock then has only
   * what arrived meanwhile left to read.
   */
  async catchUp(): Promise<void> {
    const slice = new LoopSlice(this.#sliceMs);
    while (!this.#read(slice)) await slice.yield();
  }

  /** Reads until the end (true) or until `slice` is spent (false); the next read goes on from there. */
  #read(slice: LoopSlice | undefined): boolean {
    const fd = openIfExists(this.#files.live);
    if (fd === undefined) {
      this.#reset(undefined, undefined);
      return true;
    }
    const st = fstatSync(fd, { bigint: true });
    const file = fileIdentity(st);
    if (file === this.#file) closeSync(fd);
    else this.#reset(fd, file);
    const size = Number(st.size);
    // Rewritten in place (a seed-style writer that rewrites the file): read it again.
    if (size < this.#pos.offset || !startsLine(this.#fd!, this.#pos.offset)) this.#reset(this.#fd, this.#file);
    const from = this.#pos.offset;
    for (const raw of readLines(this.#fd!, this.#pos, undefined, this.#scratch)) {
      if (raw.start > from && slice?.spent()) return false; // a line a slice, at least
      this.#pos = { offset: raw.end, line: raw.lineNo };
      if (raw.text.trim() === '') continue;
      const m = keyFields(raw.text);
      if (!m) continue; // readers log malformed lines; the index only skips them
      this.#latest.set(m.id, { start: raw.start, end: raw.end });
      if (m.type === 'response' && m.replyTo !== undefined && !this.#answers.has(m.replyTo)) this.#answers.set(m.replyTo, m.id);
    }
    return true;
  }

  /** The latest record of `id` in the live file as of the last refresh. */
  latest(id: string): BridgeMessage | undefined {
    const span = this.#latest.get(id);
    if (!span || this.#fd === undefined) return undefined;
    const buf = Buffer.allocUnsafe(span.end - span.start - 1);
    readSync(this.#fd, buf, 0, buf.length, span.start);
    const parsed = parseLine(buf.toString('utf8'));
    return parsed.ok ? parsed.message : undefined;
  }

  /** The first response to request `id` in the live file as of the last refresh. */
  answerOf(id: string): BridgeMessage | undefined {
    const responseId = this.#answers.get(id);
    return responseId === undefined ? undefined : this.latest(responseId);
  }

  close(): void {
    this.#reset(undefined, undefined);
  }

  #reset(fd: number | undefined, file: string | undefined): void {
    if (this.#fd !== undefined && this.#fd !== fd) closeSync(this.#fd);
    this.#fd = fd;
    this.#file = file;
    this.#pos = { offset: 0, line: 0 };
    this.#latest = new Map();
    this.#answers = new Map();
  }
}
