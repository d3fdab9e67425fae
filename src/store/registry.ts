/** Maps the config's store backend to its factory. */
import { AgentnetError, type Check } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { PgOpenExtras } from '../pg/index.ts';
import type { Store, StoreSpec } from './store.ts';

/** Opens the store a spec describes; `logger` hears of a server backend's outages. */
export async function openStore(spec: StoreSpec, logger?: Logger, extras: PgOpenExtras = {}): Promise<Store> {
  const backoff = { ...(spec.backoffMs !== undefined ? { backoffMs: spec.backoffMs } : {}), ...(spec.maxBackoffMs !== undefined ? { maxBackoffMs: spec.maxBackoffMs } : {}) };
  if (spec.backend === 'sqlite') {
    if (!spec.path) throw new AgentnetError('USAGE', 'the sqlite store needs a path');
    const { createSqliteStore } = await import('./sqlite.ts');
    return createSqliteStore({ path: spec.path, ...backoff });
  }
  if (spec.backend === 'postgres') {
    if (!spec.url) throw new AgentnetError('USAGE', 'the postgres store needs a url: postgres://user:password@host:port/database');
    const { createPostgresStore } = await import('./postgres.ts');
    return createPostgresStore({
      url: spec.url,
      ...(spec.schema !== undefined ? { schema: spec.schema } : {}),
      ...(spec.waitForServerMs ? { waitForServerMs: spec.waitForServerMs } : {}),
      ...(logger ? { logger } : {}),
      ...(extras.stopWaitingOn ? { stopWaitingOn: extras.stopWaitingOn } : {}),
      ...(extras.reportOutage ? { reportOutage: extras.reportOutage } : {}),
      ...backoff,
    });
  }
  throw new AgentnetError('USAGE', `unknown store backend "${spec.backend}"; available: sqlite, postgres`);
}

/**
 * The store a spec describes, checked without creating or migrating it (`agentnet doctor`). A
 * server backend has nothing of its own to check: its server is checked once (src/pg/check.ts).
 */
export async function checkStore(spec: StoreSpec): Promise<Check[]> {
  if (spec.backend !== 'sqlite' || !spec.path) return [];
  const { checkSqliteStore } = await import('./sqlite-check.ts');
  return [checkSqliteStore(spec.path)];
}

