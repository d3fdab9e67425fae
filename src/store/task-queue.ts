/** The TaskQueue contract: work units for agents, claimed under a lease. Every backend implements exactly this. */

/** The last error of a task dead-lettered because its worker vanished during its last attempt. */
export const LOST_ON_LAST_ATTEMPT = 'worker lost on the last attempt';

export const TASK_STATES = ['queued', 'running', 'done', 'dead', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface Task {
  id: string;
  kind: string;
  payload: unknown;
  /** Higher runs first. */
  priority: number;
  state: TaskState;
  /** Claims so far (a reclaimed task counts its lost attempt). */
  attempts: number;
  maxAttempts: number;
  /** Not claimed before this time (ISO-8601); retries move it forward. */
  runAt: string;
  createdAt: string;
  updatedAt: string;
  idempotencyKey?: string;
  /** The worker holding the lease, while running. */
  worker?: string;
  leaseUntil?: string;
  result?: unknown;
  lastError?: string;
}

export interface EnqueueOptions {
  kind: string;
  payload?: unknown;
  priority?: number;
  runAt?: Date;
  /** Default 3. */
  maxAttempts?: number;
  /** A second enqueue with the same key returns the first task instead of adding one. */
  idempotencyKey?: string;
}

export interface ClaimOptions {
  /** Who claims: written on the task, checked on heartbeat/complete/fail. */
  worker: string;
  /** Only these kinds (default: any). */
  kinds?: string[];
  /** The lease (visibility timeout): after it runs out without a heartbeat, another worker may reclaim the task. */
  leaseMs: number;
}

export interface ListTasksOptions {
  state?: TaskState | TaskState[];
  kind?: string;
  /** The newest N. */
  limit?: number;
}

export interface TaskQueue {
  enqueue(options: EnqueueOptions): Promise<Task>;
  /** The next runnable task (highest priority, oldest run-at), or a running one whose lease ran out; never one task to two workers. */
  claim(options: ClaimOptions): Promise<Task | undefined>;
  /** Up to `max` tasks in one step, in claim order (what `claim` would give, one after another); [] when none is runnable. */
  claimBatch(options: ClaimOptions & { max: number }): Promise<Task[]>;
  /** Extends the lease; false when the worker no longer holds it. */
  heartbeat(id: string, worker: string, leaseMs: number): Promise<boolean>;
  /** Done, with a result. Throws TASK_LEASE_LOST when the worker no longer holds the lease. */
  complete(id: string, worker: string, result?: unknown): Promise<Task>;
  /**
   * Completes several tasks in one step (what a batch-claiming worker does). A task the worker no
   * longer holds is not an error here: it is listed in `lost`, and the others still complete.
   */
  completeBatch(worker: string, results: Array<{ id: string; result?: unknown }>): Promise<{ completed: Task[]; lost: string[] }>;
  /** Failed: queued again after exponential back-off with jitter, or dead after the last attempt (or when `retry: false`). */
  fail(id: string, worker: string, error: string, options?: { retry?: boolean }): Promise<Task>;
  /**
   * Gives a claimed task back unfinished, the attempt not counted: queued again at once (the
   * worker is stopping), or after `delayMs` (the task waits for something, such as the owner's yes).
   */
  release(id: string, worker: string, options?: { delayMs?: number }): Promise<Task>;
  get(id: string): Promise<Task | undefined>;
  list(options?: ListTasksOptions): Promise<Task[]>;
  stats(): Promise<Record<TaskState, number>>;
  /** Operator: a dead or cancelled task runs again, with fresh attempts. */
  retry(id: string): Promise<Task>;
  /** Operator: a queued or running task will not run (again); a running worker's complete then fails. */
  cancel(id: string): Promise<Task>;
}
