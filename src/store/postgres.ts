/** The postgres store backend: the queue, memory and ledger tables in one schema of a PostgreSQL database. */
import { createPgPool, migratePg } from './pg-db.ts';
import { createPgLedger } from './pg-ledger.ts';
import { createPgMemory } from './pg-memory.ts';
import { createPgQueue } from './pg-queue.ts';
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
}

/** Connects and migrates the schema; throws STORE_OPEN_FAILED (the URL's password hidden) when it cannot. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const spec = { url: options.url, ...(options.schema !== undefined ? { schema: options.schema } : {}) };
  const pool = createPgPool(spec);
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
    async close() {
      if (closed) return; // pg's pool refuses a second end()
      closed = true;
      await pool.end();
    },
  };
}
