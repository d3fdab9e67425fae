/** The SQLite store checks itself for `agentnet doctor`: it opens read-only, and its schema is this agentnet's. */
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { messageOf, type Check } from '../errors.ts';
import { SCHEMA_VERSION } from './sqlite-migrations.ts';

export function checkSqliteStore(path: string): Check {
  if (!existsSync(path)) return { check: 'store', status: 'ok', detail: `${path} does not exist yet (the first agent start creates it)` };
  try {
    const db = new DatabaseSync(path, { readOnly: true, timeout: 2000 });
    try {
      const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
      const version = hasTable ? ((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0) : 0;
      if (version === SCHEMA_VERSION) return { check: 'store', status: 'ok', detail: `${path}: schema version ${version} (current)` };
      if (version > SCHEMA_VERSION) return { check: 'store', status: 'fail', detail: `${path}: schema version ${version} is newer than this agentnet knows (${SCHEMA_VERSION})`, fix: 'upgrade agentnet on this host to the version the other hosts run' };
      return { check: 'store', status: 'fail', detail: `${path}: schema version ${version}, ${SCHEMA_VERSION - version} migrations pending`, fix: 'start any agent (agentnet up, or agentnet run AGENT): migrations are applied when the store opens' };
    } finally {
      db.close();
    }
  } catch (err) {
    return { check: 'store', status: 'fail', detail: `${path}: ${messageOf(err)}`, fix: `check that it is a SQLite file the agents' user can read and write (ls -l ${path}); restore it from a backup if it is corrupt` };
  }
}
