/**
 * Schema migrations versioned in code, one list per component (`store`, `bridge`), applied in one
 * transaction under an advisory lock so two agents starting together do not race.
 */
import type pg from 'pg';
import { AgentnetError } from '../errors.ts';
import { isPgConnectionError, redactPgUrl } from './errors.ts';
import { checkSchemaName, DEFAULT_PG_SCHEMA, onClient, PgPool, type PgSpec } from './pool.ts';

export interface PgMigration {
  version: number;
  name: string;
  /** Runs with search_path set to the schema: unqualified names land there. */
  sql: string;
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
      await client.query('ROLLBACK').catch(() => {}); // the error thrown below is the one to report
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
