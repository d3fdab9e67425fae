/** Memory on PostgreSQL: one row per key plus a short history; writes to one key take turns under an advisory lock. */
import type pg from 'pg';
import { AgentnetError } from '../errors.ts';
import { MEMORY_HISTORY, type Memory, type MemoryHistoryEntry } from './memory.ts';
import { checkMemoryVersion, memoryEntryFromRow, type MemoryRow } from './sql-rows.ts';
import { inTransaction } from '../pg/index.ts';

type Row = MemoryRow<string>;


const toEntry = memoryEntryFromRow;

export function createPgMemory(pool: pg.Pool, now: () => number): Memory {
  /** The live row (an expired one counts as absent). */
  const current = async (db: pg.Pool | pg.PoolClient, ns: string, key: string): Promise<Row | undefined> =>
    (await db.query<Row>('SELECT * FROM memory WHERE namespace = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)', [ns, key, now()])).rows[0];
  /**
   * Serialises the writes of one key until the transaction ends, as SQLite's write lock does: a
   * row lock cannot, since a key deleted or never written has no row to lock, and the next
   * version also depends on its history.
   */
  const lockKey = (client: pg.PoolClient, ns: string, key: string) =>
    client.query(`SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':memory:' || $1, 0))`, [JSON.stringify([ns, key])]);
  const checkVersion = (ns: string, key: string, row: Row | undefined, ifVersion: number | undefined) => checkMemoryVersion(ns, key, row?.version ?? 0, ifVersion);
  const remember = async (client: pg.PoolClient, ns: string, key: string, version: number, value: string | null, by: string, at: number, deleted: boolean) => {
    await client.query('INSERT INTO memory_history (namespace, key, version, value, written_by, written_at, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7)', [ns, key, version, value, by, at, deleted]);
    await client.query(
      `DELETE FROM memory_history WHERE namespace = $1 AND key = $2 AND seq NOT IN
       (SELECT seq FROM memory_history WHERE namespace = $1 AND key = $2 ORDER BY version DESC, seq DESC LIMIT $3)`,
      [ns, key, MEMORY_HISTORY],
    );
  };

  return {
    async get(ns, key) {
      const row = await current(pool, ns, key);
      return row ? toEntry(row) : undefined;
    },

    async set(ns, key, value, w) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new AgentnetError('USAGE', `memory ${ns}/${key}: the value must be JSON (not undefined or a function)`);
      return inTransaction(pool, async (client) => {
        await lockKey(client, ns, key);
        const row = await current(client, ns, key);
        checkVersion(ns, key, row, w.ifVersion);
        // Versions keep counting across expiry and deletion, so an old version never matches again.
        const last = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM memory_history WHERE namespace = $1 AND key = $2', [ns, key]);
        const version = Math.max(row?.version ?? 0, last.rows[0]?.v ?? 0) + 1;
        const at = now();
        const expires = w.ttlMs !== undefined ? at + w.ttlMs : null;
        const written = await client.query<Row>(
          `INSERT INTO memory (namespace, key, value, version, written_by, written_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version, written_by = excluded.written_by,
             written_at = excluded.written_at, expires_at = excluded.expires_at
           RETURNING *`,
          [ns, key, json, version, w.by, at, expires],
        );
        await remember(client, ns, key, version, json, w.by, at, false);
        return toEntry(written.rows[0]!);
      });
    },

    async delete(ns, key, w) {
      return inTransaction(pool, async (client) => {
        await lockKey(client, ns, key);
        const row = await current(client, ns, key);
        checkVersion(ns, key, row, w.ifVersion);
        if (!row) return false;
        await client.query('DELETE FROM memory WHERE namespace = $1 AND key = $2', [ns, key]);
        await remember(client, ns, key, row.version + 1, null, w.by, now(), true);
        return true;
      });
    },

    async list(ns, opts = {}) {
      const prefix = (opts.prefix ?? '').replace(/[\\%_]/g, (c) => `\\${c}`);
      // The key column's "C" collation orders by bytes, as SQLite does.
      const { rows } = await pool.query<Row>(
        `SELECT * FROM memory WHERE namespace = $1 AND key LIKE $2 ESCAPE '\\' AND (expires_at IS NULL OR expires_at > $3) ORDER BY key LIMIT $4`,
        [ns, `${prefix}%`, now(), opts.limit ?? null], // LIMIT NULL: all
      );
      return rows.map(toEntry);
    },

    async history(ns, key) {
      const { rows } = await pool.query<{ value: string | null; version: number; written_by: string; written_at: string; deleted: boolean }>(
        'SELECT * FROM memory_history WHERE namespace = $1 AND key = $2 ORDER BY version DESC, seq DESC LIMIT $3',
        [ns, key, MEMORY_HISTORY],
      );
      return rows.map(
        (r): MemoryHistoryEntry => ({
          value: r.value === null ? null : JSON.parse(r.value),
          version: r.version,
          writtenBy: r.written_by,
          writtenAt: new Date(Number(r.written_at)).toISOString(),
          deleted: r.deleted,
        }),
      );
    },
  };
}
