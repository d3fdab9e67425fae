/**
 * The PostgreSQL schema of the store (component `store` in schema_migrations): the same tables
 * as SQLite's (sqlite-migrations.ts), applied by migratePg. Conventions, for exactly SQLite's behaviour:
 * - times are bigint ms from the store's injected clock, not PostgreSQL's now() (tests move the clock);
 * - JSON values are text written by JSON.stringify, not jsonb, so they round-trip exactly
 *   (jsonb would reorder keys, drop duplicate keys and refuse "\u0000");
 * - `seq` identity columns give the insertion order SQLite's rowid gives;
 * - memory keys use the "C" collation: byte order like SQLite's, and a prefix LIKE can use the index.
 */
import type { PgMigration } from '../pg/index.ts';

export const STORE_COMPONENT = 'store';

export const STORE_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'tasks, memory and the delivery ledger',
    sql: `
      CREATE TABLE tasks (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        kind text NOT NULL,
        payload text NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0,
        max_attempts integer NOT NULL,
        run_at bigint NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        idempotency_key text UNIQUE,
        worker text,
        lease_until bigint,
        result text,
        last_error text
      );
      -- Partial indexes: finished tasks pile up, claims only ever look at queued and running ones.
      CREATE INDEX tasks_runnable ON tasks (priority DESC, run_at, seq) WHERE state = 'queued';
      CREATE INDEX tasks_leases ON tasks (lease_until) WHERE state = 'running';

      CREATE TABLE memory (
        namespace text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        value text NOT NULL,
        version integer NOT NULL,
        written_by text NOT NULL,
        written_at bigint NOT NULL,
        expires_at bigint,
        PRIMARY KEY (namespace, key)
      );
      CREATE TABLE memory_history (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text NOT NULL,
        key text NOT NULL,
        version integer NOT NULL,
        value text,
        written_by text NOT NULL,
        written_at bigint NOT NULL,
        deleted boolean NOT NULL DEFAULT false
      );
      CREATE INDEX memory_history_key ON memory_history (namespace, key, version DESC);

      CREATE TABLE ledger_inbound (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        agent text NOT NULL,
        key text NOT NULL,
        chat_id text NOT NULL,
        sender text NOT NULL,
        text text NOT NULL,
        received_at bigint NOT NULL,
        state text NOT NULL,
        escalated_as text,
        PRIMARY KEY (agent, key)
      );
      CREATE INDEX ledger_inbound_open ON ledger_inbound (agent, state, received_at, seq);
      CREATE TABLE ledger_outbound (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        agent text NOT NULL,
        key text NOT NULL,
        chat_id text NOT NULL,
        text text NOT NULL,
        state text NOT NULL,
        attempts integer NOT NULL,
        not_before bigint NOT NULL,
        created_at bigint NOT NULL,
        sent_at bigint,
        provider_id text,
        delivery text,
        last_error text,
        UNIQUE (agent, key)
      );
      CREATE INDEX ledger_outbound_pending ON ledger_outbound (agent, state, chat_id, seq);
      CREATE INDEX ledger_outbound_provider ON ledger_outbound (provider_id);
    `,
  },
  {
    version: 2,
    name: 'approvals',
    sql: `
      CREATE TABLE approvals (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        code text NOT NULL,
        agent text NOT NULL,
        action_kind text NOT NULL,
        action_name text NOT NULL,
        action_args text,
        reason text NOT NULL,
        action_key text NOT NULL,
        context text,
        status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
        requested_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        decided_by text,
        channel text,
        decided_at bigint,
        ran_at bigint,
        run_outcome text,
        UNIQUE (agent, action_key)
      );
      -- A code is unique among the pending approvals: two requests at once never share one.
      CREATE UNIQUE INDEX approvals_pending_code ON approvals (code) WHERE status = 'pending';
      CREATE INDEX approvals_code ON approvals (code, seq);
      CREATE INDEX approvals_lapse ON approvals (expires_at) WHERE status = 'pending';
      CREATE INDEX approvals_recent ON approvals (requested_at);
    `,
  },
  {
    version: 3,
    name: 'buttons under a reply, taps on them',
    sql: `
      ALTER TABLE ledger_outbound ADD COLUMN buttons text;
      ALTER TABLE ledger_inbound ADD COLUMN tap text;
    `,
  },
  {
    version: 4,
    name: 'schedule runs',
    sql: `
      CREATE TABLE schedule_runs (
        agent text NOT NULL,
        schedule text NOT NULL,
        due bigint NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('missed', 'queued', 'running', 'success', 'failure', 'not-run')),
        missed text CHECK (missed IN ('down', 'paused', 'late')),
        slots integer NOT NULL DEFAULT 1,
        through bigint,
        task text,
        recorded_at bigint NOT NULL,
        started_at bigint,
        finished_at bigint,
        reported_at bigint,
        PRIMARY KEY (agent, schedule, due)
      );
      -- The missed runs nobody was told of yet: what every pass of a scheduler claims.
      CREATE INDEX schedule_runs_unreported ON schedule_runs (agent, schedule) WHERE missed IS NOT NULL AND reported_at IS NULL;
      CREATE INDEX schedule_runs_due ON schedule_runs (due);
      CREATE TABLE schedule_cursors (
        agent text NOT NULL,
        schedule text NOT NULL,
        considered bigint NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (agent, schedule)
      );
    `,
  },
  {
    version: 5,
    name: 'trace hops, and the trace of each reply in the outbox',
    sql: `
      CREATE TABLE trace_hops (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        trace text NOT NULL,
        hop text NOT NULL,
        ref text NOT NULL,
        agent text NOT NULL,
        at bigint NOT NULL,
        detail text,
        UNIQUE (trace, hop, ref)
      );
      -- Indexes cost every message's write: none on at (pruning, weekly, may scan), and by ref only
      -- the hops a trace is looked up by (FINDABLE_HOPS in src/store/traces.ts; the same list).
      CREATE INDEX trace_hops_ref ON trace_hops (ref) WHERE hop IN ('received', 'escalated', 'requested', 'answered', 'notified', 'task-enqueued', 'sent');
      ALTER TABLE ledger_outbound ADD COLUMN trace text;
    `,
  },
];
