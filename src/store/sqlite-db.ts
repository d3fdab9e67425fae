/** Opens the store's SQLite file: WAL (readers never block the writer), a busy timeout, migrations. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AgentnetError } from '../errors.ts';
import { migrate, SCHEMA_VERSION, schemaVersion } from './sqlite-migrations.ts';

export function openSqlite(path: string): DatabaseSync {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path, { timeout: 10_000 });
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    migrate(db);
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new AgentnetError('STORE_OPEN_FAILED', `${path} has schema version ${version}, newer than this agentnet understands (${SCHEMA_VERSION}); upgrade agentnet`);
    }
    return db;
  } catch (err) {
    if (err instanceof AgentnetError) throw err;
    throw new AgentnetError('STORE_OPEN_FAILED', `cannot open the store ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs `fn` in a BEGIN IMMEDIATE transaction: every read-then-write, so a deferred BEGIN never fails with "database is locked". */
export function immediate<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
