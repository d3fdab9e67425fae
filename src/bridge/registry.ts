/** Maps a config's bridge backend name to its factory; the core never imports a backend directly. */
import { AgentnetError, type Check } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { PgOpenExtras } from '../pg/index.ts';
import type { Bridge } from './bridge.ts';

/** The serialisable description of a bridge: what a config (or a test's child process) opens. */
export interface BridgeSpec {
  backend: string;
  path?: string;
  fsync?: boolean;
  watch?: boolean;
  pollIntervalMs?: number;
  lockTimeoutMs?: number;
  /** The PostgreSQL URL (postgres backend). */
  url?: string;
  /** The PostgreSQL schema holding the bridge's tables (postgres backend; default `agentnet`). */
  schema?: string;
  /** How long the postgres backend waits out an unreachable server before an operation fails (default 0). */
  waitForServerMs?: number;
}

/** What a process gives besides the spec: not serialisable. */
export type BridgeOpenExtras = PgOpenExtras;

type Factory = (spec: BridgeSpec, logger: Logger | undefined, extras: BridgeOpenExtras) => Promise<Bridge>;

const factories: Record<string, Factory> = {
  async jsonl(spec, logger) {
    const { createJsonlBridge } = await import('./jsonl.ts');
    if (!spec.path) throw new AgentnetError('USAGE', 'the jsonl bridge needs a path');
    return createJsonlBridge({ ...spec, path: spec.path, ...(logger ? { logger } : {}) });
  },
  async postgres(spec, logger, extras) {
    const { createPgBridge } = await import('./pg.ts');
    if (!spec.url) throw new AgentnetError('USAGE', 'the postgres bridge needs a url (postgres://user:password@host:5432/database)');
    return createPgBridge({
      url: spec.url,
      ...(spec.schema ? { schema: spec.schema } : {}),
      ...(spec.pollIntervalMs ? { pollIntervalMs: spec.pollIntervalMs } : {}),
      ...(spec.waitForServerMs ? { waitForServerMs: spec.waitForServerMs } : {}),
      ...(extras.stopWaitingOn ? { stopWaitingOn: extras.stopWaitingOn } : {}),
      ...(extras.reportOutage ? { reportOutage: extras.reportOutage } : {}),
      ...(logger ? { logger } : {}),
    });
  },
};

export const BRIDGE_BACKENDS = Object.keys(factories);

export async function openBridge(spec: BridgeSpec, logger?: Logger, extras: BridgeOpenExtras = {}): Promise<Bridge> {
  const factory = factories[spec.backend];
  if (!factory) {
    throw new AgentnetError(
      'BRIDGE_BACKEND_UNKNOWN',
      `unknown bridge backend "${spec.backend}"; available: ${BRIDGE_BACKENDS.join(', ')}`,
    );
  }
  return factory(spec, logger, extras);
}

/**
 * The bridge a spec describes, checked without creating or changing it (`agentnet doctor`). A
 * server backend has nothing of its own to check: its server is checked once, for the bridge
 * and the store alike.
 */
export async function checkBridge(spec: BridgeSpec): Promise<Check[]> {
  if (spec.backend !== 'jsonl' || !spec.path) return [];
  const { checkJsonlBridge } = await import('./jsonl-check.ts');
  return checkJsonlBridge({ ...spec, path: spec.path });
}
