/**
 * What to open for a config's bridge and store: the serialisable specs the bridge and store
 * registries take. Every command and agent goes through these, so a postgres URL in the config
 * reaches them all.
 */
import type { Config } from './load.ts';

export interface BridgeOpenSpec {
  backend: string;
  path: string;
  url?: string;
  schema?: string;
  fsync?: boolean;
  watch?: boolean;
  pollIntervalMs?: number;
  /** A server backend's wait for an unreachable server (agents wait; commands fail at once). */
  waitForServerMs?: number;
}

export function bridgeSpec(config: Config, overrides: Partial<BridgeOpenSpec> = {}): BridgeOpenSpec {
  const b = config.bridge;
  return {
    backend: b.backend,
    path: b.path,
    ...(b.url ? { url: b.url } : {}),
    ...(b.schema ? { schema: b.schema } : {}),
    fsync: b.fsync,
    watch: b.watch,
    pollIntervalMs: b.pollIntervalMs,
    ...overrides,
  };
}

export interface StoreOpenSpec {
  backend: string;
  path: string;
  url?: string;
  schema?: string;
  waitForServerMs?: number;
}

export function storeSpec(config: Config, overrides: Partial<StoreOpenSpec> = {}): StoreOpenSpec {
  const s = config.store;
  return { backend: s.backend, path: s.path, ...(s.url ? { url: s.url } : {}), ...(s.schema ? { schema: s.schema } : {}), ...overrides };
}

/** Whether the store lives in a local file (sqlite) that may not exist yet. */
export const storeIsLocalFile = (config: Config) => config.store.backend === 'sqlite';
