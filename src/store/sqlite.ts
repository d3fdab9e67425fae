/** The sqlite store backend: one database file in the state directory (node:sqlite, WAL). */
import { createSqliteApprovals } from './sqlite-approvals.ts';
import { openSqlite } from './sqlite-db.ts';
import { createSqliteLedger } from './sqlite-ledger.ts';
import { createSqliteMemory } from './sqlite-memory.ts';
import { createSqliteQueue } from './sqlite-queue.ts';
import { createSqliteScheduleRuns } from './sqlite-schedule-runs.ts';
import { createSqliteTraces } from './sqlite-traces.ts';
import type { Store } from './store.ts';

export interface SqliteStoreOptions {
  path: string;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
  backoffMs?: number;
  maxBackoffMs?: number;
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  const db = openSqlite(options.path);
  const now = options.now ?? Date.now;
  return {
    backend: 'sqlite',
    queue: createSqliteQueue(db, { now, backoffMs: options.backoffMs ?? 1000, maxBackoffMs: options.maxBackoffMs ?? 3_600_000 }),
    memory: createSqliteMemory(db, now),
    ledger: createSqliteLedger(db, now),
    approvals: createSqliteApprovals(db, now),
    scheduleRuns: createSqliteScheduleRuns(db, now),
    traces: createSqliteTraces(db),
    async close() {
      if (db.isOpen) db.close();
    },
  };
}
