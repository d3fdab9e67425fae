/** The postgres store backend: the queue, memory, ledger, approvals and schedule-run tables in one schema of a PostgreSQL database. */
import type { Logger } from '../log/logger.ts';
import { createPgPool, loggedReachability, migratePg, type OutageReport } from '../pg/index.ts';
import { createPgApprovals } from './pg-approvals.ts';
import { createPgLedger } from './pg-ledger.ts';
import { createPgMemory } from './pg-memory.ts';
import { createPgQueue } from './pg-queue.ts';
import { createPgScheduleRuns } from './pg-schedule-runs.ts';
import { createPgTraces } from './pg-traces.ts';
import { STORE_COMPONENT, STORE_MIGRATIONS } from './pg-store-migrations.ts';
import type { Store } from './store.ts';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The schema holding the tables (default `agentnet`): several networks can share a database. */
  schema?: string;
  /** The clock (ms since the epoch); tests move it. Times are stored from it, never from the server's clock. */
  now?: () => number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long an operation waits out an unreachable server before failing (default 0: at once). Agents wait as long as it takes. */
  waitForServerMs?: number;
  /** Ends the waits for the server when aborted (the agent is stopping). */
  stopWaitingOn?: AbortSignal;
  /** Hears of outages as they start and end, from the first connect on (before the open returns). */
  reportOutage?: OutageReport;
  /** Where outages and recoveries are logged. */
  logger?: Logger;
}

/** Connects and migrates the schema; throws STORE_OPEN_FAILED (the URL's password hidden) when it cannot. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const spec = { url: options.url, ...(options.schema !== undefined ? { schema: options.schema } : {}), waitForServerMs: options.waitForServerMs ?? 0, ...(options.stopWaitingOn ? { stopWaitingOn: options.stopWaitingOn } : {}) };
  const reachability = loggedReachability('store', options.logger, options.reportOutage);
  const pool = createPgPool(spec, (err) => options.logger?.warn({ error: err.message }, 'an idle PostgreSQL connection of the store failed; it will be replaced'), reachability);
  try {
    await migratePg(pool, spec, STORE_COMPONENT, STORE_MIGRATIONS);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const now = options.now ?? Date.now;
  let closed = false;
  return {
    backend: 'postgres',
    queue: createPgQueue(pool, { now, backoffMs: options.backoffMs ?? 1000, maxBackoffMs: options.maxBackoffMs ?? 3_600_000 }),
    memory: createPgMemory(pool, now),
    ledger: createPgLedger(pool, now),
    approvals: createPgApprovals(pool, now),
    scheduleRuns: createPgScheduleRuns(pool, now),
    traces: createPgTraces(pool),
    unavailable: () => reachability.describe(),
    async close() {
      if (closed) return; // pg's pool refuses a second end()
      closed = true;
      pool.stopWaiting();
      await pool.end();
    },
  };
}
