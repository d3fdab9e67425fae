/** The SQL of the PostgreSQL bridge's records: appending them, and reading latest states and ranges. */
import type pg from 'pg';
import type { Logger } from '../log/logger.ts';
import type { Cursor, ListOptions } from './bridge.ts';
import { filterConditions } from './pg-filter.ts';
import { parseLine, toLine, type BridgeMessage } from './message.ts';

/** A pool or one of its connections (inside a transaction). */
export type Queryable = pg.Pool | pg.PoolClient;

/** The names one bridge uses besides its tables, derived from its schema. */
export interface PgBridgeNames {
  schema: string;
  /** The LISTEN/NOTIFY channel. */
  channel: string;
  /** The advisory lock appends take (hashed by hashtext). */
  appendLock: string;
}

export function pgBridgeNames(schema: string): PgBridgeNames {
  return {
    schema,
    // NOTIFY is database-wide, so the channel carries the schema, cut to PostgreSQL's 63-character
    // identifiers; two schemas sharing the first 56 characters would merely wake each other.
    channel: `bridge_${schema}`.slice(0, 63),
    appendLock: `agentnet:${schema}:bridge-append`,
  };
}

export interface RecordRow {
  /** A bigint, which pg returns as text: the cursor as is. */
  seq: Cursor;
  record: string;
}

/** A record's message; one that is not a valid message (written by hand?) is logged and skipped. */
export function parseRecord(row: RecordRow, logger: Logger): BridgeMessage | undefined {
  const parsed = parseLine(row.record);
  if (parsed.ok) return parsed.message;
  logger.warn({ seq: row.seq, error: parsed.error }, 'skipped a malformed bridge record');
  return undefined;
}

/** The text stored for a message: its bridge line without the newline (toLine enforces the size limit). */
export const recordText = (msg: BridgeMessage): string => toLine(msg).slice(0, -1);

/**
 * Makes appends one at a time, until the transaction ends. An identity value is drawn at insert
 * but becomes visible at commit, so two concurrent appends could commit out of order: seq 8
 * visible while 7 is still in flight, and a reader at cursor 8 would never see 7. Under this
 * lock a seq is drawn and committed before the next append draws one (PostgreSQL releases
 * locks after the commit is visible), so a reader that sees a seq has every lower one already.
 * It limits a bridge to one append at a time (~1 ms each), ample for messages between agents.
 */
export async function lockAppends(client: pg.PoolClient, names: PgBridgeNames): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [names.appendLock]);
}

/**
 * Inserts one record and notifies listeners; call under lockAppends. The notification is sent
 * at commit and carries only the seq: it is a wake-up hint, readers query from their cursor.
 */
export async function insertRecord(client: pg.PoolClient, names: PgBridgeNames, msg: BridgeMessage, record: string): Promise<void> {
  await client.query(
    `WITH added AS (
       INSERT INTO bridge_records (id, status, type, sender, addressee, ts, record, reply_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $9) RETURNING seq
     )
     SELECT pg_notify($8, seq::text) FROM added`,
    [msg.id, msg.status, msg.type, msg.from, msg.to ?? null, new Date(Date.parse(msg.ts)).toISOString(), record, names.channel, msg.type === 'response' ? (msg.replyTo ?? null) : null],
  );
}

/** The first response to request `id`, live or archived, in its latest state. */
export async function findAnswer(db: Queryable, id: string, logger: Logger): Promise<BridgeMessage | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM (
       SELECT id, seq FROM bridge_records WHERE reply_to = $1
       UNION ALL
       SELECT id, seq FROM bridge_archive WHERE reply_to = $1
     ) AS r ORDER BY seq LIMIT 1`,
    [id],
  );
  return rows[0] && findLatest(db, rows[0].id, logger);
}

/** The latest state of one message, live or archived. */
export async function findLatest(db: Queryable, id: string, logger: Logger): Promise<BridgeMessage | undefined> {
  const { rows } = await db.query<RecordRow>(
    `SELECT seq, record FROM bridge_records WHERE id = $1
     UNION ALL
     SELECT seq, record FROM bridge_archive WHERE id = $1
     ORDER BY seq DESC LIMIT 1`,
    [id],
  );
  return rows[0] && parseRecord(rows[0], logger);
}

/** The latest state of each message in order of first appearance, filtered in SQL. */
export async function listLatest(db: Queryable, opts: ListOptions, logger: Logger): Promise<BridgeMessage[]> {
  const columns = 'seq, id, status, type, sender, addressee, ts, record';
  const source = opts.includeArchived
    ? `SELECT ${columns} FROM bridge_records UNION ALL SELECT ${columns} FROM bridge_archive`
    : `SELECT ${columns} FROM bridge_records`;
  const params: unknown[] = [];
  const conditions = filterConditions(opts, params);
  // With a limit, take the last N by first appearance, then put them back in order.
  const tail = opts.limit === undefined ? 'ORDER BY first_seq' : `ORDER BY first_seq DESC LIMIT $${params.push(Math.max(0, opts.limit))}`;
  const { rows } = await db.query<RecordRow>(
    `WITH latest AS (
       SELECT DISTINCT ON (id) ${columns}, min(seq) OVER (PARTITION BY id) AS first_seq
       FROM (${source}) AS records
       ORDER BY id, seq DESC
     )
     SELECT seq, record FROM latest
     ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
     ${tail}`,
    params,
  );
  if (opts.limit !== undefined) rows.reverse();
  return rows.flatMap((row) => parseRecord(row, logger) ?? []);
}

/** Up to `limit` records after `cursor`, in order, live or archived (a rotation may have moved them). */
export async function recordsAfter(db: Queryable, cursor: Cursor, limit: number): Promise<RecordRow[]> {
  const { rows } = await db.query<RecordRow>(
    `(SELECT seq, record FROM bridge_records WHERE seq > $1 ORDER BY seq LIMIT $2)
     UNION ALL
     (SELECT seq, record FROM bridge_archive WHERE seq > $1 ORDER BY seq LIMIT $2)
     ORDER BY seq LIMIT $2`,
    [cursor, limit],
  );
  return rows;
}

/** The seq of the last committed record ("0" for an empty bridge): the cursor of `from: 'end'`. */
export async function lastSeq(db: Queryable): Promise<Cursor> {
  const { rows } = await db.query<{ seq: string }>(
    `SELECT GREATEST((SELECT max(seq) FROM bridge_records), (SELECT max(seq) FROM bridge_archive), 0)::text AS seq`,
  );
  return rows[0]!.seq;
}
