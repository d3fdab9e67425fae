/** TaskQueue on PostgreSQL: a claim locks its rows with FOR UPDATE SKIP LOCKED, so two workers never get one task. */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AgentnetError } from '../errors.ts';
import { inTransaction } from '../pg/index.ts';
import type { ClaimOptions, EnqueueOptions, ListTasksOptions, Task, TaskQueue, TaskState } from './task-queue.ts';
import { LOST_ON_LAST_ATTEMPT, TASK_STATES } from './task-queue.ts';
import { taskFromRow, type TaskRow } from './sql-rows.ts';

type Row = TaskRow<string>;


const toTask = taskFromRow;

/**
 * Leases that ran out ($1 = now): on the last attempt that was the last chance (dead-letter it);
 * otherwise the task is queued again, its attempt counted. SKIP LOCKED: rows another claimer is
 * recovering are left to it, so concurrent claims neither wait nor deadlock here.
 */
const RECOVER_EXPIRED = `
  UPDATE tasks SET
    state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
    run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $1 END,
    updated_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE updated_at END,
    last_error = CASE WHEN attempts >= max_attempts
      THEN '${LOST_ON_LAST_ATTEMPT}' || coalesce(' (earlier: ' || last_error || ')', '')
      ELSE coalesce(last_error, 'lease expired') END,
    worker = NULL, lease_until = NULL
  WHERE id IN (SELECT id FROM tasks WHERE state = 'running' AND lease_until < $1 FOR UPDATE SKIP LOCKED)`;

/**
 * Up to $3 runnable tasks in claim order ($1 = now, $2 = kinds, none = any). MATERIALIZED: the
 * locking select runs exactly once, whatever plan the update gets.
 */
const CLAIM = `
  WITH next AS MATERIALIZED (
    SELECT id FROM tasks
    WHERE state = 'queued' AND run_at <= $1 AND (cardinality($2::text[]) = 0 OR kind = ANY($2::text[]))
    ORDER BY priority DESC, run_at, seq
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE tasks t SET state = 'running', worker = $4, lease_until = $5, attempts = t.attempts + 1, updated_at = $1
    FROM next WHERE t.id = next.id
    RETURNING t.*
  )
  SELECT * FROM claimed ORDER BY priority DESC, run_at, seq`;

const SELECT_TASK = 'SELECT * FROM tasks WHERE id = $1';

const COMPLETE = `
  UPDATE tasks SET state = 'done', result = $1, worker = NULL, lease_until = NULL, updated_at = $2
  WHERE id = $3 AND state = 'running' AND worker = $4 RETURNING *`;

const COMPLETE_MANY = `
  UPDATE tasks t SET state = 'done', result = r.result, worker = NULL, lease_until = NULL, updated_at = $1
  FROM unnest($2::text[], $3::text[]) AS r(id, result)
  WHERE t.id = r.id AND t.state = 'running' AND t.worker = $4 RETURNING t.*`;

export interface PgQueueOptions {
  /** The clock (ms); tests move it. */
  now: () => number;
  /** First retry delay; doubles per attempt, with jitter, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export function createPgQueue(pool: pg.Pool, o: PgQueueOptions): TaskQueue {
  const mustExist = (row: Row | undefined, id: string): Row => {
    if (!row) throw new AgentnetError('TASK_NOT_FOUND', `no task "${id}" (see: agentnet tasks ls)`);
    return row;
  };
  /** The row, locked until the transaction ends. */
  const lockTask = async (client: pg.PoolClient, id: string) => mustExist((await client.query<Row>(`${SELECT_TASK} FOR UPDATE`, [id])).rows[0], id);
  const holding = (row: Row, worker: string) => {
    if (row.state !== 'running' || row.worker !== worker) {
      throw new AgentnetError('TASK_LEASE_LOST', `task ${row.id} is no longer held by ${worker} (it is ${row.state}${row.worker ? `, held by ${row.worker}` : ''})`);
    }
  };
  /** Sets columns of one task (`set` numbers its values $1, $2...) and returns it. */
  const update = async (client: pg.PoolClient, id: string, set: string, values: unknown[]): Promise<Task> => {
    const { rows } = await client.query<Row>(`UPDATE tasks SET ${set} WHERE id = $${values.length + 1} RETURNING *`, [...values, id]);
    return toTask(rows[0]!);
  };
  const claimUpTo = async (opts: ClaimOptions, max: number): Promise<Task[]> => {
    const now = o.now();
    const rows = await inTransaction(pool, async (client) => {
      await client.query(RECOVER_EXPIRED, [now]);
      return (await client.query<Row>(CLAIM, [now, opts.kinds ?? [], max, opts.worker, now + opts.leaseMs])).rows;
    });
    return rows.map(toTask);
  };

  return {
    async enqueue(opts: EnqueueOptions) {
      const now = o.now();
      const values = [`task-${randomUUID()}`, opts.kind, JSON.stringify(opts.payload ?? null), opts.priority ?? 0, opts.maxAttempts ?? 3, opts.runAt?.getTime() ?? now, now, opts.idempotencyKey ?? null];
      // ON CONFLICT: of two enqueues racing with one key, the second gets nothing back and reads the first's task.
      const { rows } = await pool.query<Row>(
        `INSERT INTO tasks (id, kind, payload, priority, state, attempts, max_attempts, run_at, created_at, updated_at, idempotency_key)
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        values,
      );
      const row = rows[0] ?? (await pool.query<Row>('SELECT * FROM tasks WHERE idempotency_key = $1', [opts.idempotencyKey])).rows[0]!;
      return toTask(row);
    },

    async claim(opts) {
      return (await claimUpTo(opts, 1))[0];
    },

    async claimBatch(opts) {
      const max = Math.floor(opts.max);
      if (!(max >= 1)) throw new AgentnetError('USAGE', `claimBatch needs max of at least 1, not ${opts.max}`);
      return claimUpTo(opts, max);
    },

    async heartbeat(id, worker, leaseMs) {
      const now = o.now();
      const res = await pool.query(`UPDATE tasks SET lease_until = $1, updated_at = $2 WHERE id = $3 AND state = 'running' AND worker = $4`, [now + leaseMs, now, id, worker]);
      return res.rowCount === 1;
    },

    async complete(id, worker, result) {
      const { rows } = await pool.query<Row>(COMPLETE, [JSON.stringify(result ?? null), o.now(), id, worker]);
      if (rows[0]) return toTask(rows[0]);
      holding(mustExist((await pool.query<Row>(SELECT_TASK, [id])).rows[0], id), worker); // says why: not found, or no longer this worker's
      throw new AgentnetError('TASK_LEASE_LOST', `task ${id} is no longer held by ${worker}`);
    },

    async completeBatch(worker, results) {
      // One statement, so one transaction. A task listed twice completes once, with its first
      // result; the repeat is lost, as when completing one by one.
      const first = new Map<string, unknown>();
      for (const r of results) if (!first.has(r.id)) first.set(r.id, r.result);
      const { rows } = await pool.query<Row>(COMPLETE_MANY, [o.now(), [...first.keys()], [...first.values()].map((v) => JSON.stringify(v ?? null)), worker]);
      const done = new Map(rows.map((r) => [r.id, toTask(r)]));
      const completed: Task[] = [];
      const lost: string[] = [];
      for (const r of results) {
        const task = done.get(r.id);
        if (task) completed.push(task);
        else lost.push(r.id);
        done.delete(r.id);
      }
      return { completed, lost };
    },

    async fail(id, worker, error, opts = {}) {
      return inTransaction(pool, async (client) => {
        const row = await lockTask(client, id);
        holding(row, worker);
        const now = o.now();
        if (opts.retry === false || row.attempts >= row.max_attempts) {
          return update(client, id, `state = 'dead', last_error = $1, worker = NULL, lease_until = NULL, updated_at = $2`, [error, now]);
        }
        const delay = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** (row.attempts - 1)) * (0.5 + Math.random());
        return update(client, id, `state = 'queued', last_error = $1, worker = NULL, lease_until = NULL, run_at = $2, updated_at = $3`, [error, now + Math.round(delay), now]);
      });
    },

    async release(id, worker, options = {}) {
      return inTransaction(pool, async (client) => {
        holding(await lockTask(client, id), worker);
        const now = o.now();
        return update(client, id, `state = 'queued', attempts = greatest(attempts - 1, 0), worker = NULL, lease_until = NULL, run_at = $2, updated_at = $1`, [now, now + Math.max(0, options.delayMs ?? 0)]);
      });
    },

    async get(id) {
      const row = (await pool.query<Row>(SELECT_TASK, [id])).rows[0];
      return row ? toTask(row) : undefined;
    },

    async list(opts: ListTasksOptions = {}) {
      const states = opts.state === undefined ? [] : Array.isArray(opts.state) ? opts.state : [opts.state];
      const { rows } = await pool.query<Row>(
        `SELECT * FROM tasks WHERE (cardinality($1::text[]) = 0 OR state = ANY($1::text[])) AND ($2::text IS NULL OR kind = $2)
         ORDER BY seq DESC LIMIT $3`,
        [states, opts.kind || null, opts.limit ?? null], // LIMIT NULL: all
      );
      return rows.reverse().map(toTask);
    },

    async stats() {
      const out = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
      const { rows } = await pool.query<{ state: TaskState; n: number }>('SELECT state, count(*)::int AS n FROM tasks GROUP BY state');
      for (const r of rows) out[r.state] = r.n;
      return out;
    },

    async retry(id) {
      return inTransaction(pool, async (client) => {
        const row = await lockTask(client, id);
        if (row.state !== 'dead' && row.state !== 'cancelled') {
          throw new AgentnetError('TASK_STATE', `task ${id} is ${row.state}; only dead or cancelled tasks can be retried`);
        }
        const now = o.now();
        return update(client, id, `state = 'queued', attempts = 0, run_at = $1, updated_at = $1`, [now]);
      });
    },

    async cancel(id) {
      return inTransaction(pool, async (client) => {
        const row = await lockTask(client, id);
        if (row.state !== 'queued' && row.state !== 'running') {
          throw new AgentnetError('TASK_STATE', `task ${id} is ${row.state}; only queued or running tasks can be cancelled`);
        }
        return update(client, id, `state = 'cancelled', worker = NULL, lease_until = NULL, updated_at = $1`, [o.now()]);
      });
    },
  };
}
