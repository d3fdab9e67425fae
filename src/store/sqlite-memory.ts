/** Memory on SQLite: one row per key plus a short history; compare-and-set inside BEGIN IMMEDIATE. */
import type { DatabaseSync } from 'node:sqlite';
import { AgentnetError } from '../errors.ts';
import { MEMORY_HISTORY, type Memory, type MemoryHistoryEntry } from './memory.ts';
import { checkMemoryVersion, memoryEntryFromRow, type MemoryRow } from './sql-rows.ts';
import { immediate } from './sqlite-db.ts';

type Row = MemoryRow<number>;

const toEntry = memoryEntryFromRow;

export function createSqliteMemory(db: DatabaseSync, now: () => number): Memory {
  /** The live row (an expired one counts as absent). */
  const current = (ns: string, key: string): Row | undefined => {
    const row = db.prepare('SELECT * FROM memory WHERE namespace = ? AND key = ?').get(ns, key) as Row | undefined;
    return row && (row.expires_at === null || row.expires_at > now()) ? row : undefined;
  };
  const checkVersion = (ns: string, key: string, row: Row | undefined, ifVersion: number | undefined) => checkMemoryVersion(ns, key, row?.version ?? 0, ifVersion);
  const remember = (ns: string, key: string, version: number, value: string | null, by: string, at: number, deleted: boolean) => {
    db.prepare('INSERT INTO memory_history (namespace, key, version, value, written_by, written_at, deleted) VALUES (?, ?, ?, ?, ?, ?, ?)').run(ns, key, version, value, by, at, deleted ? 1 : 0);
    db.prepare(
      `DELETE FROM memory_history WHERE namespace = ? AND key = ? AND rowid NOT IN
       (SELECT rowid FROM memory_history WHERE namespace = ? AND key = ? ORDER BY version DESC, rowid DESC LIMIT ?)`,
    ).run(ns, key, ns, key, MEMORY_HISTORY);
  };

  return {
    async get(ns, key) {
      const row = current(ns, key);
      return row ? toEntry(row) : undefined;
    },

    async set(ns, key, value, w) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new AgentnetError('USAGE', `memory ${ns}/${key}: the value must be JSON (not undefined or a function)`);
      return immediate(db, () => {
        const row = current(ns, key);
        checkVersion(ns, key, row, w.ifVersion);
        // Versions keep counting across expiry and deletion, so an old version never matches again.
        const last = db.prepare('SELECT MAX(version) AS v FROM memory_history WHERE namespace = ? AND key = ?').get(ns, key) as { v: number | null };
        const version = Math.max(row?.version ?? 0, last.v ?? 0) + 1;
        const at = now();
        const expires = w.ttlMs !== undefined ? at + w.ttlMs : null;
        db.prepare(
          `INSERT INTO memory (namespace, key, value, version, written_by, written_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = excluded.version, written_by = excluded.written_by,
             written_at = excluded.written_at, expires_at = excluded.expires_at`,
        ).run(ns, key, json, version, w.by, at, expires);
        remember(ns, key, version, json, w.by, at, false);
        return toEntry(current(ns, key)!);
      });
    },

    async delete(ns, key, w) {
      return immediate(db, () => {
        const row = current(ns, key);
        checkVersion(ns, key, row, w.ifVersion);
        if (!row) return false;
        db.prepare('DELETE FROM memory WHERE namespace = ? AND key = ?').run(ns, key);
        remember(ns, key, row.version + 1, null, w.by, now(), true);
        return true;
      });
    },

    async list(ns, opts = {}) {
      // substr, not LIKE: LIKE ignores ASCII case in SQLite, and a prefix is exact.
      const prefix = opts.prefix ?? '';
      const rows = db
        .prepare(`SELECT * FROM memory WHERE namespace = ? AND substr(key, 1, length(?)) = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?`)
        .all(ns, prefix, prefix, now(), opts.limit ?? 1_000_000) as unknown as Row[];
      return rows.map(toEntry);
    },

    async history(ns, key) {
      const rows = db
        .prepare('SELECT * FROM memory_history WHERE namespace = ? AND key = ? ORDER BY version DESC, rowid DESC LIMIT ?')
        .all(ns, key, MEMORY_HISTORY) as Array<{ value: string | null; version: number; written_by: string; written_at: number; deleted: number }>;
      return rows.map(
        (r): MemoryHistoryEntry => ({
          value: r.value === null ? null : JSON.parse(r.value),
          version: r.version,
          writtenBy: r.written_by,
          writtenAt: new Date(r.written_at).toISOString(),
          deleted: r.deleted === 1,
        }),
      );
    },
  };
}
