/**
 * PostgreSQL plumbing shared by the postgres store and bridge: a connection pool whose
 * connections use the network's schema (so several networks share one database), and schema
 * migrations versioned in code, applied under an advisory lock so two agents starting together
 * do not race. The pool replaces connections PostgreSQL dropped (a restart): the next query
 * gets a fresh one. Given `waitForServerMs`, a query or transaction that meets an unreachable
 * server waits it out (back-off 100 ms doubling to 2 s) and runs again, instead of failing:
 * an agent keeps the work in its hands through a restart. The pool's `reachability` says
 * whether the server answered the last time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { AgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';

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

export interface PgMigration {
  version: number;
  name: string;
  /** Runs with search_path set to the schema: unqualified names land there. */
  sql: string;
}

export const DEFAULT_PG_SCHEMA = 'agentnet';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The URL with its password hidden, for messages and logs. */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

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

/** Marks a connection error that may have come after the server committed: running the work again could do it twice. */
const MAYBE_DONE = Symbol('agentnet.pg.maybeDone');
function markMaybeDone(err: unknown): void {
  if (err && typeof err === 'object') (err as { [MAYBE_DONE]?: boolean })[MAYBE_DONE] = true;
}

/** A statement that only reads: running it again after a cut connection is harmless. */
function isReadOnly(text: string): boolean {
  return /^\s*\(?\s*(SELECT|WITH)\b/i.test(text) && !/\b(INSERT|UPDATE|DELETE|MERGE|pg_notify|pg_advisory\w*|nextval|setval)\b/i.test(text);
}

/** Runs `fn` on a connection checked out of the pool; gives it back after, or drops it if it broke. */
async function onClient<T>(client: pg.PoolClient, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
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
        if ((err as { [MAYBE_DONE]?: boolean })[MAYBE_DONE] || this.#stop.signal.aborted || Date.now() + delay > deadline) throw err;
        await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => {});
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

/** Whether an error means PostgreSQL is unreachable or restarting (worth waiting out), not a bad query. */
export function isPgConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
  // 53300 too many connections; the errno codes of a server or network that is not there.
  const codes = ['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT'];
  if (typeof e.code === 'string' && (/^08/.test(e.code) || codes.includes(e.code))) return true;
  // pg-pool's own: every connection busy or hanging past connectionTimeoutMillis.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(e.message ?? '');
}

/**
 * Applies the pending migrations of one component (`store`, `bridge`) in one transaction,
 * holding a transaction-scoped advisory lock: a second process waits, then finds them applied.
 */
export async function migratePg(pool: pg.Pool, spec: PgSpec, component: string, migrations: PgMigration[]): Promise<number> {
  const schema = checkSchemaName(spec.schema ?? DEFAULT_PG_SCHEMA);
  const migrate = async (client: pg.PoolClient): Promise<number> => {
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`agentnet:${schema}:migrations`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (component text NOT NULL, version integer NOT NULL, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))',
      );
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations WHERE component = $1', [component]);
      const current = rows[0]?.v ?? 0;
      const latest = Math.max(0, ...migrations.map((m) => m.version));
      if (current > latest) {
        throw new AgentnetError('STORE_OPEN_FAILED', `the ${component} tables in schema "${schema}" have version ${current}, newer than this agentnet understands (${latest}); upgrade agentnet`);
      }
      for (const m of migrations.filter((x) => x.version > current).sort((a, b) => a.version - b.version)) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)', [component, m.version, m.name]);
      }
      await client.query('COMMIT');
      return latest;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  };
  // One transaction that reads the applied versions first: running it again after a cut (even
  // one during its COMMIT) finds what was applied and does the rest. An agent that starts while
  // the server is down waits for it here, like any other operation of its pool.
  const attempt = async () => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      if (isPgConnectionError(err)) throw err;
      throw new AgentnetError('STORE_OPEN_FAILED', `cannot connect to PostgreSQL at ${redactPgUrl(spec.url)}: ${(err as Error).message}; is the URL right?`, { cause: err });
    }
    return onClient(client, migrate);
  };
  try {
    return await (pool instanceof PgPool ? pool.patiently(attempt) : attempt());
  } catch (err) {
    if (err instanceof AgentnetError) throw err;
    if (isPgConnectionError(err)) {
      throw new AgentnetError('STORE_OPEN_FAILED', `cannot connect to PostgreSQL at ${redactPgUrl(spec.url)}: ${(err as Error).message}; is the server running and the URL right?`, { cause: err });
    }
    throw new AgentnetError('STORE_OPEN_FAILED', `cannot migrate the ${component} tables in PostgreSQL (${redactPgUrl(spec.url)}, schema ${schema}): ${(err as Error).message}`, { cause: err });
  }
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
        await client.query('ROLLBACK').catch(() => {});
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
    await client.end().catch(() => {});
  }
}
