/** TaskQueue on SQLite: a claim is one BEGIN IMMEDIATE transaction, so two workers never get one task. */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { AgentnetError } from '../errors.ts';
import { immediate } from './sqlite-db.ts';
import type { ClaimOptions, EnqueueOptions, ListTasksOptions, Task, TaskQueue, TaskState } from './task-queue.ts';
import { LOST_ON_LAST_ATTEMPT, TASK_STATES } from './task-queue.ts';
import { taskFromRow, type TaskRow } from './sql-rows.ts';

type Row = TaskRow<number>;


const toTask = taskFromRow;

export interface SqliteQueueOptions {
  /** The clock (ms); tests move it. */
  now: () => number;
  /** First retry delay; doubles per attempt, with jitter, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export function createSqliteQueue(db: DatabaseSync, o: SqliteQueueOptions): TaskQueue {
  const byId = db.prepare('SELECT * FROM tasks WHERE id = ?');
  // Prepared once: compiling SQL per call would cost more than running it.
  const stmt = {
    bury: db.prepare(
      `UPDATE tasks SET state = 'dead', worker = NULL, lease_until = NULL, updated_at = ?, last_error = '${LOST_ON_LAST_ATTEMPT}' || coalesce(' (earlier: ' || last_error || ')', '')
       WHERE state = 'running' AND lease_until < ? AND attempts >= max_attempts`,
    ),
    release: db.prepare(`UPDATE tasks SET state = 'queued', worker = NULL, lease_until = NULL, run_at = ?, last_error = coalesce(last_error, 'lease expired') WHERE state = 'running' AND lease_until < ?`),
    heartbeat: db.prepare(`UPDATE tasks SET lease_until = ?, updated_at = ? WHERE id = ? AND state = 'running' AND worker = ?`),
    complete: db.prepare(`UPDATE tasks SET state = 'done', result = ?, worker = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'running' AND worker = ? RETURNING *`),
  };
  const claims = new Map<number, ReturnType<DatabaseSync['prepare']>>();
  const claimStatement = (kinds: number) => {
    let s = claims.get(kinds);
    if (!s) {
      const filter = kinds ? ` AND kind IN (${Array(kinds).fill('?').join(',')})` : '';
      s = db.prepare(
        `UPDATE tasks SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id = (SELECT id FROM tasks WHERE state = 'queued' AND run_at <= ?${filter}
                     ORDER BY priority DESC, run_at, seq LIMIT 1)
         RETURNING *`,
      );
      claims.set(kinds, s);
    }
    return s;
  };
  const batches = new Map<number, ReturnType<DatabaseSync['prepare']>>();
  const batchStatement = (kinds: number) => {
    let s = batches.get(kinds);
    if (!s) {
      const filter = kinds ? ` AND kind IN (${Array(kinds).fill('?').join(',')})` : '';
      s = db.prepare(
        `UPDATE tasks SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id IN (SELECT id FROM tasks WHERE state = 'queued' AND run_at <= ?${filter}
                      ORDER BY priority DESC, run_at, seq LIMIT ?)
         RETURNING *`,
      );
      batches.set(kinds, s);
    }
    return s;
  };
  const find = (id: string): Row => {
    const row = byId.get(id) as Row | undefined;
    if (!row) throw new AgentnetError('TASK_NOT_FOUND', `no task "${id}" (see: agentnet tasks ls)`);
    return row;
  };
  const holding = (row: Row, worker: string) => {
    if (row.state !== 'running' || row.worker !== worker) {
      throw new AgentnetError('TASK_LEASE_LOST', `task ${row.id} is no longer held by ${worker} (it is ${row.state}${row.worker ? `, held by ${row.worker}` : ''})`);
    }
  };

  return {
    async enqueue(opts: EnqueueOptions) {
      return immediate(db, () => {
        if (opts.idempotencyKey !== undefined) {
          const first = db.prepare('SELECT * FROM tasks WHERE idempotency_key = ?').get(opts.idempotencyKey) as Row | undefined;
          if (first) return toTask(first);
        }
        const now = o.now();
        const id = `task-${randomUUID()}`;
        db.prepare(
          `INSERT INTO tasks (id, kind, payload, priority, state, attempts, max_attempts, run_at, created_at, updated_at, idempotency_key)
           VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?)`,
        ).run(id, opts.kind, JSON.stringify(opts.payload ?? null), opts.priority ?? 0, opts.maxAttempts ?? 3, opts.runAt?.getTime() ?? now, now, now, opts.idempotencyKey ?? null);
        return toTask(find(id));
      });
    },

    async claim(opts: ClaimOptions) {
      const now = o.now();
      // Leases that ran out: on the last attempt that was the last chance (dead-letter it);
      // otherwise the task is queued again (its attempt counted), to be claimed below.
      const kinds = opts.kinds ?? [];
      // One write transaction (one commit): the claim is an UPDATE ... RETURNING under SQLite's
      // write lock, so no task goes to two workers.
      const row = immediate(db, () => {
        stmt.bury.run(now, now);
        stmt.release.run(now, now);
        return claimStatement(kinds.length).get(opts.worker, now + opts.leaseMs, now, now, ...(kinds as SQLInputValue[])) as Row | undefined;
      });
      return row ? toTask(row) : undefined;
    },

    async claimBatch(opts) {
      const max = Math.floor(opts.max);
      if (!(max >= 1)) throw new AgentnetError('USAGE', `claimBatch needs max of at least 1, not ${opts.max}`);
      const now = o.now();
      const kinds = opts.kinds ?? [];
      // The same transaction as one claim, for up to `max` tasks: the commit is paid once.
      const rows = immediate(db, () => {
        stmt.bury.run(now, now);
        stmt.release.run(now, now);
        return batchStatement(kinds.length).all(opts.worker, now + opts.leaseMs, now, now, ...(kinds as SQLInputValue[]), max) as unknown as Row[];
      });
      // RETURNING has no order: put them in claim order.
      rows.sort((a, b) => b.priority - a.priority || a.run_at - b.run_at || a.seq - b.seq);
      return rows.map(toTask);
    },

    async heartbeat(id, worker, leaseMs) {
      const now = o.now();
      return Number(stmt.heartbeat.run(now + leaseMs, now, id, worker).changes) === 1;
    },

    async complete(id, worker, result) {
      const row = stmt.complete.get(JSON.stringify(result ?? null), o.now(), id, worker) as Row | undefined;
      if (row) return toTask(row);
      holding(find(id), worker); // says why: not found, or no longer this worker's
      throw new AgentnetError('TASK_LEASE_LOST', `task ${id} is no longer held by ${worker}`);
    },

    async completeBatch(worker, results) {
      const at = o.now();
      return immediate(db, () => {
        const completed: Task[] = [];
        const lost: string[] = [];
        for (const r of results) {
          const row = stmt.complete.get(JSON.stringify(r.result ?? null), at, r.id, worker) as Row | undefined;
          if (row) completed.push(toTask(row));
          else lost.push(r.id);
        }
        return { completed, lost };
      });
    },

    async fail(id, worker, error, opts = {}) {
      return immediate(db, () => {
        const row = find(id);
        holding(row, worker);
        const now = o.now();
        if (opts.retry === false || row.attempts >= row.max_attempts) {
          db.prepare(`UPDATE tasks SET state = 'dead', last_error = ?, worker = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`).run(error, now, id);
        } else {
          const delay = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** (row.attempts - 1)) * (0.5 + Math.random());
          db.prepare(`UPDATE tasks SET state = 'queued', last_error = ?, worker = NULL, lease_until = NULL, run_at = ?, updated_at = ? WHERE id = ?`).run(error, now + Math.round(delay), now, id);
        }
        return toTask(find(id));
      });
    },

    async release(id, worker, options = {}) {
      return immediate(db, () => {
        holding(find(id), worker);
        const now = o.now();
        db.prepare(`UPDATE tasks SET state = 'queued', attempts = max(attempts - 1, 0), worker = NULL, lease_until = NULL, run_at = ?, updated_at = ? WHERE id = ?`).run(now + Math.max(0, options.delayMs ?? 0), now, id);
        return toTask(find(id));
      });
    },

    async get(id) {
      const row = byId.get(id) as Row | undefined;
      return row ? toTask(row) : undefined;
    },

    async list(opts: ListTasksOptions = {}) {
      const where: string[] = [];
      const args: SQLInputValue[] = [];
      const states = opts.state === undefined ? [] : Array.isArray(opts.state) ? opts.state : [opts.state];
      if (states.length) {
        where.push(`state IN (${states.map(() => '?').join(',')})`);
        args.push(...states);
      }
      if (opts.kind) {
        where.push('kind = ?');
        args.push(opts.kind);
      }
      const rows = db
        .prepare(`SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`)
        .all(...args, opts.limit ?? 1_000_000) as unknown as Row[];
      return rows.reverse().map(toTask);
    },

    async stats() {
      const out = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
      for (const r of db.prepare('SELECT state, COUNT(*) AS n FROM tasks GROUP BY state').all() as Array<{ state: TaskState; n: number }>) out[r.state] = r.n;
      return out;
    },

    async retry(id) {
      return immediate(db, () => {
        const row = find(id);
        if (row.state !== 'dead' && row.state !== 'cancelled') {
          throw new AgentnetError('TASK_STATE', `task ${id} is ${row.state}; only dead or cancelled tasks can be retried`);
        }
        const now = o.now();
        db.prepare(`UPDATE tasks SET state = 'queued', attempts = 0, run_at = ?, updated_at = ? WHERE id = ?`).run(now, now, id);
        return toTask(find(id));
      });
    },

    async cancel(id) {
      return immediate(db, () => {
        const row = find(id);
        if (row.state !== 'queued' && row.state !== 'running') {
          throw new AgentnetError('TASK_STATE', `task ${id} is ${row.state}; only queued or running tasks can be cancelled`);
        }
        db.prepare(`UPDATE tasks SET state = 'cancelled', worker = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`).run(o.now(), id);
        return toTask(find(id));
      });
    },
  };
}
