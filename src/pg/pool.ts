/**
 * The PostgreSQL connection pool shared by the postgres store and bridge: its connections use
 * the network's schema (so several networks share one database). The pool replaces connections PostgreSQL dropped (a restart): the next query
 * gets a fresh one. Given `waitForServerMs`, a query or transaction that meets an unreachable
 * server waits it out (back-off 100 ms doubling to 2 s) and runs again, instead of failing:
 * an agent keeps the work in its hands through a restart. The pool's `reachability` says
 * whether the server answered the last time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { AgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { isMaybeDone, isPgConnectionError, markMaybeDone, redactPgUrl } from './errors.ts';

export interface PgSpec {
  /** postgres://user:password@host:port/database?sslmode=... */
  url: string;
  /** The schema holding this network's tables (default `agentnet`). */
  schema?: string;
  /** Connections at most (default 4). */
  max?: number;
  /** How long a query waits out an unreachable server before failing with its error (default 0: at once). */
  waitForServerMs?: number;
  /** Ends every wait for the server when aborted (an agent stopping during an outage). */
  stopWaitingOn?: AbortSignal;
}

/** What a process gives a server backend (bridge or store) besides its spec: not serialisable. */
export interface PgOpenExtras {
  /** Ends a server backend's waits for an unreachable server when aborted. */
  stopWaitingOn?: AbortSignal;
  /** A server backend's outages as they start (what health should say) and end (undefined), from the open on. */
  reportOutage?: (problem: string | undefined) => void;
}

export const DEFAULT_PG_SCHEMA = 'agentnet';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new AgentnetError('STORE_OPEN_FAILED', `"${schema}" is not a usable PostgreSQL schema name: lower-case letters, digits and "_", starting with a letter or "_"`);
  }
  return schema;
}

/** Whether PostgreSQL answered the last time a pool asked; when not, since when and why. */
export class PgReachability {
  #down: { since: number; error: string } | undefined;
  readonly #onChange: ((down: { since: number; error: string } | undefined) => void) | undefined;

  constructor(onChange?: (down: { since: number; error: string } | undefined) => void) {
    this.#onChange = onChange;
  }

  failed(err: unknown): void {
    if (this.#down) return;
    this.#down = { since: Date.now(), error: (err as Error).message || String((err as { code?: string }).code ?? err) };
    this.#onChange?.(this.#down);
  }

  answered(): void {
    if (!this.#down) return;
    this.#down = undefined;
    this.#onChange?.(undefined);
  }

  /** Undefined while the server answers; else what a health report says. */
  describe(): string | undefined {
    const d = this.#down;
    return d && `PostgreSQL unreachable since ${new Date(d.since).toISOString()} (${d.error}); waiting for it`;
  }
}

/** Called with what a health report should say while the server is out of reach, and undefined once it answers. */
export type OutageReport = (problem: string | undefined) => void;

/** Reachability whose changes are logged once each way, for `what` (the bridge, the store), and given to `report`. */
export function loggedReachability(what: string, logger?: Logger, report?: OutageReport): PgReachability {
  const r: PgReachability = new PgReachability((down) => {
    if (down) logger?.warn({ error: down.error }, `the ${what} cannot reach PostgreSQL; waiting for it (work in hand is kept)`);
    else logger?.info({}, `the ${what} reaches PostgreSQL again`);
    report?.(r.describe());
  });
  return r;
}


/** A statement that only reads: running it again after a cut connection is harmless. */
function isReadOnly(text: string): boolean {
  return /^\s*\(?\s*(SELECT|WITH)\b/i.test(text) && !/\b(INSERT|UPDATE|DELETE|MERGE|pg_notify|pg_advisory\w*|nextval|setval)\b/i.test(text);
}

/** Runs `fn` on a connection checked out of the pool; gives it back after, or drops it if it broke. */
export async function onClient<T>(client: pg.PoolClient, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let broken: Error | undefined;
  // A checked-out connection has no error listener of the pool's: a server going away between
  // two queries would otherwise be an unhandled 'error' event, fatal to the process.
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    if (isPgConnectionError(err)) broken = err as Error;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

const WAIT_FIRST_MS = 100;
const WAIT_MAX_MS = 2_000;

/**
 * A pool whose every connection works in the network's schema, that waits out a server outage
 * for up to `waitForServerMs` (queries through `query` and transactions through `inTransaction`).
 */
export class PgPool extends pg.Pool {
  readonly reachability: PgReachability;
  readonly #waitMs: number;
  readonly #stop = new AbortController();

  constructor(config: pg.PoolConfig, waitForServerMs: number, reachability: PgReachability, stopWaitingOn?: AbortSignal) {
    super(config);
    this.#waitMs = waitForServerMs;
    this.reachability = reachability;
    if (stopWaitingOn?.aborted) this.stopWaiting();
    else stopWaitingOn?.addEventListener('abort', () => this.stopWaiting(), { once: true });
    // Only the promise form with SQL text is used in agentnet (not the callback forms).
    this.query = ((text: string, values?: unknown[]) =>
      // A failed connect sent nothing: safe to run again.
      this.patiently(async () =>
        onClient(await this.connect(), async (client) => {
          try {
            return await client.query(text, values);
          } catch (err) {
            // Cut off while running: a write may have committed before the cut. Report it, never repeat it.
            if (isPgConnectionError(err) && !isReadOnly(text)) markMaybeDone(err);
            throw err;
          }
        }),
      )) as unknown as pg.Pool['query'];
  }

  /** Runs `op` (again, after a back-off) while it fails because the server is unreachable, up to the pool's wait. */
  async patiently<T>(op: (attempt: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#waitMs;
    let delay = WAIT_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await op(attempt);
        this.reachability.answered();
        return out;
      } catch (err) {
        if (!isPgConnectionError(err)) {
          this.reachability.answered(); // the server answered, with an error
          throw err;
        }
        this.reachability.failed(err);
        if (isMaybeDone(err) || this.#stop.signal.aborted || Date.now() + delay > deadline) throw err;
        await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => {}); // rejects only when stopping aborts the wait
        if (this.#stop.signal.aborted) throw err;
        delay = Math.min(delay * 2, WAIT_MAX_MS);
      }
    }
  }

  /** Stops waiting: operations waiting for the server fail now (before end(), so a close is not held up). */
  stopWaiting(): void {
    this.#stop.abort();
  }
}

/** A pool whose every connection works in `schema`. Idle connections that die are dropped, never thrown. */
export function createPgPool(spec: PgSpec, onError?: (err: Error) => void, reachability = new PgReachability()): PgPool {
  const schema = checkSchemaName(spec.schema ?? DEFAULT_PG_SCHEMA);
  const pool = new PgPool(
    {
      connectionString: spec.url,
      max: spec.max ?? 4,
      // Startup parameters, no extra round trip: the schema; and a transaction whose client
      // vanished (a network cut) must not hold the bridge's append lock for long.
      options: `-c search_path=${schema} -c idle_in_transaction_session_timeout=60000`,
      // A silent network cut is noticed by TCP keep-alives, not after the kernel's 15 minutes.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'agentnet',
    },
    spec.waitForServerMs ?? 0,
    reachability,
    spec.stopWaitingOn,
  );
  // Without a listener, an idle connection killed by a server restart would crash the process.
  pool.on('error', (err) => onError?.(err));
  return pool;
}

/**
 * Runs `fn` in a transaction on one connection of the pool. On a PgPool it runs again, whole,
 * after the server was unreachable (`attempt` > 1) before the COMMIT was sent: the transaction
 * was rolled back. A cut during the COMMIT is ambiguous (it may have committed): the work runs
 * again only when `idempotent` says `fn` copes with finding its own work done; otherwise the
 * error is reported, never the work done twice.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient, attempt: number) => Promise<T>, options: { idempotent?: boolean } = {}): Promise<T> {
  const once = async (attempt: number) =>
    onClient(await pool.connect(), async (client) => {
      let committing = false;
      try {
        await client.query('BEGIN');
        const out = await fn(client, attempt);
        committing = true;
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {}); // the error rethrown below is the one to report
        if (committing && !options.idempotent && isPgConnectionError(err)) markMaybeDone(err);
        throw err;
      }
    });
  return pool instanceof PgPool ? pool.patiently(once) : once(1);
}

/** A test's (or a tool's) view of whether PostgreSQL at `url` answers, with the reason when not. */
export async function pgReachable(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `PostgreSQL at ${redactPgUrl(url)} is not reachable: ${(err as Error).message}` };
  } finally {
    await client.end().catch(() => {}); // the check's answer is in: a failed goodbye changes nothing
  }
}
