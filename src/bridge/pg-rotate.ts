/**
 * Rotation for the PostgreSQL bridge: every record of a message that is done and whose last
 * record is older than N days moves to bridge_archive, keeping its seq, in one transaction.
 * Readers and writers carry on: a reader's query sees the records before or after the move,
 * never half of it, and reads the archive past its cursor too.
 */
import type pg from 'pg';
import { inTransaction } from '../pg/index.ts';
import type { RotateOptions, RotateResult } from './bridge.ts';
import type { PgBridgeNames } from './pg-records.ts';

const DAY_MS = 86_400_000;

export async function rotatePg(pool: pg.Pool, names: PgBridgeNames, options: RotateOptions = {}): Promise<RotateResult> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - (options.olderThanDays ?? 30) * DAY_MS);
  return inTransaction(pool, async (client) => {
    // A concurrent rotation blocks on the rows this one deletes, then skips them: each message moves once.
    const moved = await client.query<{ archived: number }>(
      `WITH latest AS (
         SELECT DISTINCT ON (id) id, status, ts FROM bridge_records ORDER BY id, seq DESC
       ), old AS (
         SELECT id FROM latest WHERE status = 'done' AND ts < $1
       ), deleted AS (
         DELETE FROM bridge_records AS r USING old WHERE r.id = old.id
         RETURNING r.seq, r.id, r.status, r.type, r.sender, r.addressee, r.ts, r.record, r.reply_to
       ), archived AS (
         INSERT INTO bridge_archive (seq, id, status, type, sender, addressee, ts, record, reply_to)
         SELECT seq, id, status, type, sender, addressee, ts, record, reply_to FROM deleted
         RETURNING id
       )
       SELECT count(DISTINCT id)::int AS archived FROM archived`,
      [cutoff.toISOString()],
    );
    const kept = await client.query<{ kept: number }>('SELECT count(DISTINCT id)::int AS kept FROM bridge_records');
    const archived = moved.rows[0]!.archived;
    return {
      archived,
      kept: kept.rows[0]!.kept,
      archives: archived > 0 ? [`postgres:${names.schema}.bridge_archive`] : [],
      quarantined: 0,
    };
  });
}
