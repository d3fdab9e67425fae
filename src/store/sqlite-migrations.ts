/** The SQLite schema, versioned in code: each migration runs once, in order, in a transaction. */
import type { DatabaseSync } from 'node:sqlite';

export const MIGRATIONS: Array<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        idempotency_key TEXT UNIQUE,
        worker TEXT,
        lease_until INTEGER,
        result TEXT,
        last_error TEXT
      );
      CREATE INDEX tasks_runnable ON tasks (state, priority DESC, run_at, seq);
      CREATE TABLE memory (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        written_by TEXT NOT NULL,
        written_at INTEGER NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (namespace, key)
      );
      CREATE TABLE memory_history (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        version INTEGER NOT NULL,
        value TEXT,
        written_by TEXT NOT NULL,
        written_at INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX memory_history_key ON memory_history (namespace, key, version DESC);
    `,
  },
  {
    // Expired leases are found by (state, lease_until), so a claim never scans the whole table.
    version: 2,
    sql: `CREATE INDEX tasks_leases ON tasks (state, lease_until);`,
  },
  {
    // The relay's delivery ledger (src/store/ledger.ts).
    version: 3,
    sql: `
      CREATE TABLE ledger_inbound (
        agent TEXT NOT NULL,
        key TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        text TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        escalated_as TEXT,
        PRIMARY KEY (agent, key)
      );
      CREATE INDEX ledger_inbound_open ON ledger_inbound (agent, state, received_at);
      CREATE TABLE ledger_outbound (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        agent TEXT NOT NULL,
        key TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        not_before INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        provider_id TEXT,
        delivery TEXT,
        last_error TEXT,
        UNIQUE (agent, key)
      );
      CREATE INDEX ledger_outbound_pending ON ledger_outbound (agent, state, chat_id, seq);
      CREATE INDEX ledger_outbound_provider ON ledger_outbound (provider_id);
    `,
  },
  {
    // Approvals (src/store/approvals.ts): a code is unique among the pending ones; an action key is asked once per agent.
    version: 4,
    sql: `
      CREATE TABLE approvals (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        code TEXT NOT NULL,
        agent TEXT NOT NULL,
        action_kind TEXT NOT NULL,
        action_name TEXT NOT NULL,
        action_args TEXT,
        reason TEXT NOT NULL,
        action_key TEXT NOT NULL,
        context TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
        requested_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_by TEXT,
        channel TEXT,
        decided_at INTEGER,
        ran_at INTEGER,
        run_outcome TEXT,
        UNIQUE (agent, action_key)
      );
      CREATE UNIQUE INDEX approvals_pending_code ON approvals (code) WHERE status = 'pending';
      CREATE INDEX approvals_code ON approvals (code, seq);
      CREATE INDEX approvals_lapse ON approvals (status, expires_at);
      CREATE INDEX approvals_recent ON approvals (requested_at);
    `,
  },
  {
    // Buttons under a reply (JSON), and an inbound tap on one (JSON): src/store/ledger.ts.
    version: 5,
    sql: `
      ALTER TABLE ledger_outbound ADD COLUMN buttons TEXT;
      ALTER TABLE ledger_inbound ADD COLUMN tap TEXT;
    `,
  },
  {
    // Schedule runs (src/store/schedule-runs.ts): one record per slot; each schedule's cursor.
    version: 6,
    sql: `
      CREATE TABLE schedule_runs (
        agent TEXT NOT NULL,
        schedule TEXT NOT NULL,
        due INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('missed', 'queued', 'running', 'success', 'failure', 'not-run')),
        missed TEXT CHECK (missed IN ('down', 'paused', 'late')),
        slots INTEGER NOT NULL DEFAULT 1,
        through INTEGER,
        task TEXT,
        recorded_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        reported_at INTEGER,
        PRIMARY KEY (agent, schedule, due)
      );
      CREATE INDEX schedule_runs_unreported ON schedule_runs (agent, schedule) WHERE missed IS NOT NULL AND reported_at IS NULL;
      CREATE INDEX schedule_runs_due ON schedule_runs (due);
      CREATE TABLE schedule_cursors (
        agent TEXT NOT NULL,
        schedule TEXT NOT NULL,
        considered INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (agent, schedule)
      );
    `,
  },
  {
    // Trace hops (src/store/traces.ts), and the trace each reply in the ledger's outbox belongs to.
    version: 7,
    sql: `
      CREATE TABLE trace_hops (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        trace TEXT NOT NULL,
        hop TEXT NOT NULL,
        ref TEXT NOT NULL,
        agent TEXT NOT NULL,
        at INTEGER NOT NULL,
        detail TEXT,
        UNIQUE (trace, hop, ref)
      );
      -- Indexes cost every message's write: none on at (pruning, weekly, may scan), and by ref only
      -- the hops a trace is looked up by (FINDABLE_HOPS in src/store/traces.ts; the same list).
      CREATE INDEX trace_hops_ref ON trace_hops (ref) WHERE hop IN ('received', 'escalated', 'requested', 'answered', 'notified', 'task-enqueued', 'sent');
      ALTER TABLE ledger_outbound ADD COLUMN trace TEXT;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies what is missing; safe with several processes starting at once (BEGIN IMMEDIATE). */
export function migrate(db: DatabaseSync): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  let applied = 0;
  for (const m of MIGRATIONS) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (!done) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
        applied++;
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return applied;
}

export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null } | undefined;
  return row?.v ?? 0;
}
