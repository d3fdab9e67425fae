/**
 * Delivery for the PostgreSQL bridge: woken by a NOTIFY (through the shared PgListener) or by a
 * slow safety poll, a subscription reads the records after its cursor (the seq of the last
 * record handled) and hands them over in order. A named consumer's cursor is saved in
 * bridge_consumers after records are handled, so a restart resumes there (at-least-once).
 */
import type pg from 'pg';
import { AgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { isPgConnectionError } from '../pg/index.ts';
import type { Cursor, MessageHandler, SubscribeOptions, Subscription } from './bridge.ts';
import { matchesFilter } from './filter.ts';
import type { PgListener } from './pg-listener.ts';
import { lastSeq, parseRecord, recordsAfter } from './pg-records.ts';
import { coalescedRunner } from './wake.ts';

export interface PgSubscriptionDeps {
  pool: pg.Pool;
  listener: PgListener;
  logger: Logger;
  /** The safety poll, for notifications lost in transit. */
  pollIntervalMs: number;
}

const BATCH = 500;
/** Records skipped by the filter between cursor saves. */
const SAVE_EVERY = 100;

/** A caller's cursor: the seq of a record, in decimal. */
function checkCursor(cursor: Cursor): Cursor {
  if (!/^\d{1,19}$/.test(cursor)) throw new AgentnetError('USAGE', `"${cursor}" is not a postgres bridge cursor (expected the seq of a record, e.g. 1234)`);
  return cursor;
}

async function loadConsumerCursor(pool: pg.Pool, consumer: string): Promise<Cursor | undefined> {
  const { rows } = await pool.query<{ seq: string }>('SELECT seq FROM bridge_consumers WHERE name = $1', [consumer]);
  return rows[0]?.seq;
}

async function saveConsumerCursor(pool: pg.Pool, consumer: string, cursor: Cursor): Promise<void> {
  await pool.query(
    `INSERT INTO bridge_consumers (name, seq) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET seq = EXCLUDED.seq, saved_at = now()`,
    [consumer, cursor],
  );
}

export class PgSubscription implements Subscription {
  readonly ready: Promise<void>;
  readonly #deps: PgSubscriptionDeps;
  readonly #options: SubscribeOptions;
  readonly #handler: MessageHandler;
  #cursor: Cursor | undefined;
  #closed = false;
  #unsaved = 0;
  #stopListening: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: PgSubscriptionDeps, options: SubscribeOptions, handler: MessageHandler) {
    this.#deps = deps;
    this.#options = options;
    this.#handler = handler;
    if (options.signal?.aborted) this.#closed = true;
    else options.signal?.addEventListener('abort', () => void this.close(), { once: true });
    this.ready = this.#start();
    this.ready.catch(() => {}); // reported to whoever awaits ready
  }

  cursor(): Cursor | undefined {
    return this.#cursor;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening?.();
    clearInterval(this.#timer);
    await this.#save();
  }

  async #start(): Promise<void> {
    await null; // let the caller attach to `ready` before any work
    const { pool, listener, pollIntervalMs } = this.#deps;
    const { consumer } = this.#options;
    if (this.#closed) return;
    const saved = consumer ? await loadConsumerCursor(pool, consumer) : undefined;
    this.#cursor = await this.#position(saved ?? this.#options.from ?? 'end');
    // A new consumer records where it starts, so a crash in its first handler redelivers that record.
    if (consumer && saved === undefined) await this.#save(true);
    if (this.#closed) return;
    this.#stopListening = listener.add(() => this.#wake());
    await listener.start();
    if (this.#closed) return;
    this.#timer = setInterval(() => this.#wake(), pollIntervalMs);
    this.#wake();
  }

  async #position(from: 'start' | 'end' | Cursor): Promise<Cursor> {
    if (from === 'start') return '0';
    const end = await lastSeq(this.#deps.pool);
    if (from === 'end') return end;
    if (BigInt(checkCursor(from)) <= BigInt(end)) return from;
    this.#deps.logger.warn(
      { consumer: this.#options.consumer, cursor: from, last: end },
      'cursor is past the last bridge record (were the bridge tables recreated?); replaying from the start',
    );
    return '0';
  }

  readonly #wake = coalescedRunner(() => this.#deliver(), {
    stopped: () => this.#closed,
    onError: (err) => {
      const unreachable = isPgConnectionError(err);
      this.#deps.logger[unreachable ? 'warn' : 'error'](
        { consumer: this.#options.consumer, error: (err as Error).message },
        unreachable ? 'PostgreSQL is unreachable; bridge delivery resumes when it is back' : 'bridge read failed; retrying on the next wake-up',
      );
    },
  });

  async #deliver(): Promise<void> {
    const { pool, logger } = this.#deps;
    const { filter, onError } = this.#options;
    for (;;) {
      if (this.#closed) return;
      const rows = await recordsAfter(pool, this.#cursor!, BATCH);
      for (const row of rows) {
        if (this.#closed) return;
        const message = parseRecord(row, logger);
        if (message && matchesFilter(message, filter)) {
          try {
            await this.#handler(message, row.seq);
          } catch (err) {
            if (onError) onError(err, message);
            else logger.error({ id: message.id, error: (err as Error).message }, 'bridge message handler failed; skipped');
          }
          if (this.#closed) return; // the handler's record counts as unhandled if we closed meanwhile
          this.#cursor = row.seq;
          this.#unsaved++;
          await this.#save(); // a handled record is never handed out again after a crash
          continue;
        }
        this.#cursor = row.seq;
        if (++this.#unsaved >= SAVE_EVERY) await this.#save();
      }
      await this.#save();
      if (rows.length < BATCH) return;
    }
  }

  async #save(force = false): Promise<void> {
    const { consumer } = this.#options;
    if (!consumer || this.#cursor === undefined || (this.#unsaved === 0 && !force)) return;
    this.#unsaved = 0;
    try {
      await saveConsumerCursor(this.#deps.pool, consumer, this.#cursor);
    } catch (err) {
      this.#deps.logger.error({ consumer, error: (err as Error).message }, 'cannot save the bridge cursor');
    }
  }
}
