/**
 * PostgreSQL for tests: the server CI starts (AGENTNET_TEST_PG_URL, default the machine's
 * 127.0.0.1:5432 database test), a fresh schema per case so cases never see each other's rows,
 * dropped afterwards. Without a reachable server the suites are reported skipped, with the reason.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pgReachable } from '../../src/pg/pool.ts';

export const PG_URL = process.env.AGENTNET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Undefined when PostgreSQL answers; else why the PostgreSQL suites are skipped. */
export async function pgSkipReason(): Promise<string | undefined> {
  const r = await pgReachable(PG_URL);
  if (r.ok) return undefined;
  // CI starts PostgreSQL: there, an unreachable server fails the run instead of skipping.
  if (process.env.AGENTNET_TEST_PG_REQUIRED) throw new Error(`${r.reason}; AGENTNET_TEST_PG_REQUIRED is set`);
  return `${r.reason} (set AGENTNET_TEST_PG_URL, or start it: pg_ctlcluster --skip-systemctl-redirect 15 main start)`;
}

/** A schema name no other test uses. */
export const freshSchema = (prefix = 't') => `${prefix}_${randomBytes(6).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
