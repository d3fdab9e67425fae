/** A store: the task queue, the shared memory, the relay's delivery ledger, the approvals, the schedules' runs and the trace hops, opened together from the config. */
import type { Approvals } from './approvals.ts';
import type { Ledger } from './ledger.ts';
import type { Memory } from './memory.ts';
import type { ScheduleRuns } from './schedule-runs.ts';
import type { TaskQueue } from './task-queue.ts';
import type { Traces } from './traces.ts';

export interface Store {
  readonly backend: string;
  readonly queue: TaskQueue;
  readonly memory: Memory;
  /** The relay's delivery ledger. */
  readonly ledger: Ledger;
  /** Actions waiting for the owner's yes, and the decisions (the audit). */
  readonly approvals: Approvals;
  /** Every slot of every schedule, run or missed, and each schedule's cursor. */
  readonly scheduleRuns: ScheduleRuns;
  /** The hops of each request's trace (`agentnet trace`). */
  readonly traces: Traces;
  /** Why the store's server cannot be reached now (health shows it); undefined while it can. Server backends only. */
  unavailable?(): string | undefined;
  close(): Promise<void>;
}

/** The serialisable description of a store: what a config (or a test's child process) opens. */
export interface StoreSpec {
  backend: string;
  /** sqlite: the database file. */
  path?: string;
  /** postgres: postgres://user:password@host:port/database */
  url?: string;
  /** postgres: the schema holding the tables (default `agentnet`). */
  schema?: string;
  /** Retry back-off of the queue (first delay, ms; default 1000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** postgres: how long an operation waits out an unreachable server before failing (default 0). */
  waitForServerMs?: number;
}
