/**
 * PostgreSQL plumbing used by the postgres bridge and the postgres store alike: the pool, the
 * migrations, the error classes. Imports only the base (errors.ts, log/); loaded (with `pg`)
 * only by a postgres backend.
 */
export { isMaybeDone, isPgConnectionError, markMaybeDone, redactPgUrl } from './errors.ts';
export { migratePg } from './migrations.ts';
export type { PgMigration } from './migrations.ts';
export { checkSchemaName, createPgPool, DEFAULT_PG_SCHEMA, inTransaction, loggedReachability, onClient, pgReachable, PgPool, PgReachability } from './pool.ts';
export type { OutageReport, PgOpenExtras, PgSpec } from './pool.ts';
