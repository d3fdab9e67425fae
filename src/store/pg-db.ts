/**
 * PostgreSQL plumbing shared by the postgres store and bridge: a connection pool whose
 * connections use the network's schema (so several networks share one database), and schema
 * migrations versioned in code, applied under an advisory lock so two agents starting together
 * do not race. The pool replaces connections PostgreSQL dropped (a restart): the next query
 * gets a fresh one; callers retry what failed meanwhile.
 */
import pg from 'pg';
import { AgentnetError } from '../errors.ts';

export interface PgSpec {
  /** postgres://user:password@host:port/database?sslmode=... */
  url: string;
  /** The schema holding this network's tables (default `agentnet`). */
  schema?: string;
  /** Connections at most (default 4). */
  max?: number;
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

/** A pool whose every connection works in `schema`. Idle connections that die are dropped, never thrown. */
export function createPgPool(spec: PgSpec, onError?: (err: Error) => void): pg.Pool {
  const schema = checkSchemaName(spec.schema ?? DEFAULT_PG_SCHEMA);
  const pool = new pg.Pool({
    connectionString: spec.url,
    max: spec.max ?? 4,
    // search_path as a startup parameter: no extra round trip per connection.
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'agentnet',
  });
  // Without a listener, an idle connection killed by a server restart would crash the process.
  pool.on('error', (err) => onError?.(err));
  return pool;
}

/** Whether an error means PostgreSQL is unreachable or restarting (worth waiting out), not a bad query. */
export function isPgConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
  if (typeof e.code === 'string' && (/^08/.test(e.code) || ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code))) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(e.message ?? '');
}

/**
 * Applies the pending migrations of one component (`store`, `bridge`) in one transaction,
 * holding a transaction-scoped advisory lock: a second process waits, then finds them applied.
 */
export async function migratePg(pool: pg.Pool, spec: PgSpec, component: string, migrations: PgMigration[]): Promise<number> {
  const schema = checkSchemaName(spec.schema ?? DEFAULT_PG_SCHEMA);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new AgentnetError('STORE_OPEN_FAILED', `cannot connect to PostgreSQL at ${redactPgUrl(spec.url)}: ${(err as Error).message}; is the server running and the URL right?`, { cause: err });
  }
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
    if (err instanceof AgentnetError) throw err;
    throw new AgentnetError('STORE_OPEN_FAILED', `cannot migrate the ${component} tables in PostgreSQL (${redactPgUrl(spec.url)}, schema ${schema}): ${(err as Error).message}`, { cause: err });
  } finally {
    client.release();
  }
}

/** Runs `fn` in a transaction on one connection of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
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
