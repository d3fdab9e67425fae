/** Maps the config's store backend to its factory. */
import { AgentnetError } from '../errors.ts';
import type { Store, StoreSpec } from './store.ts';

export async function openStore(spec: StoreSpec): Promise<Store> {
  if (spec.backend === 'sqlite') {
    if (!spec.path) throw new AgentnetError('USAGE', 'the sqlite store needs a path');
    const { createSqliteStore } = await import('./sqlite.ts');
    return createSqliteStore({ path: spec.path, ...(spec.backoffMs !== undefined ? { backoffMs: spec.backoffMs } : {}), ...(spec.maxBackoffMs !== undefined ? { maxBackoffMs: spec.maxBackoffMs } : {}) });
  }
  throw new AgentnetError('USAGE', `unknown store backend "${spec.backend}"; available: sqlite`);
}
