/**
 * The worker: claims tasks under a lease, heart-beats while one runs, and completes or fails
 * it. PAUSE stops it claiming; stop() lets running tasks finish within a grace period and
 * releases the rest to the queue (another worker, or this one after a restart, runs them).
 * A task whose lease is lost (cancelled, or reclaimed after a stall) is abandoned quietly:
 * the other worker's outcome counts. A task that waits (`waitMs`: the owner's yes) is given back
 * to the queue for later, its attempt not counted.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Task, TaskQueue } from '../store/index.ts';
import { TaskFailure, type TaskOutcome } from './kind.ts';

export interface TaskFinish {
  outcome?: TaskOutcome;
  error?: unknown;
  /** The task is over: done, or dead after its last attempt. */
  final: boolean;
  /** The task as the queue has it now. */
  task: Task;
  durationMs: number;
}

export interface WorkerOptions {
  agent: string;
  queue: TaskQueue;
  kinds: string[];
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  logger: Logger;
  /** Resolves when the network is not paused. */
  untilResumed(signal: AbortSignal): Promise<void>;
  execute(task: Task, signal: AbortSignal): Promise<TaskOutcome>;
  /** The task was claimed and is about to run (a failure here is logged; the task runs anyway). */
  started?(task: Task): Promise<void>;
  finished(info: TaskFinish): Promise<void>;
}

export interface Worker {
  /** Who this worker is in the queue (`agent@host:pid:…`). */
  readonly id: string;
  /** Look for work now (a task was just enqueued). */
  wake(): void;
  running(): number;
  stop(graceMs: number): Promise<void>;
}

const STOPPING = 'agent stopping';

export function startWorker(o: WorkerOptions): Worker {
  const id = `${o.agent}@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const stopping = new AbortController();
  const running = new Map<string, AbortController>();
  const waiting = new Set<() => void>();
  const wakeUp = () => {
    for (const w of waiting) w();
    waiting.clear();
  };

  const idle = async () => {
    let done = () => {};
    const woke = new Promise<void>((r) => waiting.add((done = r)));
    try {
      await Promise.race([woke, sleep(o.pollMs, undefined, { signal: stopping.signal })]);
    } finally {
      waiting.delete(done);
    }
  };

  /** Not yet (it waits for the owner's yes): back to the queue, claimed again after its wait; not a failure, no report. */
  const giveBack = async (task: Task, outcome: TaskOutcome) => {
    await o.queue.release(task.id, id, { delayMs: outcome.waitMs });
    o.logger.debug({ task: task.id, kind: task.kind, waitMs: outcome.waitMs, summary: outcome.summary }, 'task waiting; given back to the queue');
  };

  const runOne = async (task: Task) => {
    const ctrl = new AbortController();
    running.set(task.id, ctrl);
    const started = Date.now();
    o.logger.info({ task: task.id, kind: task.kind, attempt: task.attempts, of: task.maxAttempts }, 'task started');
    await o.started?.(task).catch((err: unknown) => o.logger.warn({ task: task.id, err }, 'could not record the task\'s start'));
    const beat = setInterval(() => {
      o.queue.heartbeat(task.id, id, o.leaseMs).then(
        (held) => {
          if (!held) ctrl.abort(new Error('lease lost: the task was cancelled or taken over'));
        },
        (err: unknown) => o.logger.warn({ task: task.id, err }, 'heartbeat failed'),
      );
    }, Math.max(200, Math.floor(o.leaseMs / 3)));
    try {
      let outcome: TaskOutcome;
      try {
        outcome = await o.execute(task, ctrl.signal);
      } catch (err) {
        clearInterval(beat);
        if (ctrl.signal.aborted && ctrl.signal.reason === STOPPING) {
          await o.queue.release(task.id, id).then(
            () => o.logger.warn({ task: task.id, kind: task.kind }, 'task released unfinished: the agent is stopping'),
            (e: unknown) => o.logger.warn({ task: task.id, err: e }, 'could not release the task; it is reclaimed when its lease runs out'),
          );
          return;
        }
        if (ctrl.signal.aborted) return void o.logger.warn({ task: task.id, kind: task.kind, reason: String(ctrl.signal.reason) }, 'task abandoned');
        const retry = !(err instanceof TaskFailure) || err.retry;
        const message = (err as Error)?.message ?? String(err);
        const after = await o.queue.fail(task.id, id, message, { retry });
        const final = after.state === 'dead';
        o.logger[final ? 'error' : 'warn']({ task: task.id, kind: task.kind, err, attempt: task.attempts, final, ...(final ? {} : { retryAt: after.runAt }) }, final ? 'task failed' : 'task failed; it will be retried');
        await o.finished({ error: err, final, task: after, durationMs: Date.now() - started });
        return;
      }
      clearInterval(beat);
      if (outcome.waitMs !== undefined) return await giveBack(task, outcome);
      const done = await o.queue.complete(task.id, id, outcome.result ?? { summary: outcome.summary });
      o.logger.info({ task: task.id, kind: task.kind, ms: Date.now() - started, summary: outcome.summary }, 'task done');
      await o.finished({ outcome, final: true, task: done, durationMs: Date.now() - started });
    } catch (err) {
      // The queue refused the outcome (cancelled meanwhile, lease taken over) or is unreachable.
      if (isAgentnetError(err, 'TASK_LEASE_LOST')) o.logger.warn({ task: task.id, err }, 'task outcome not recorded: the task is no longer ours');
      else o.logger.error({ task: task.id, err }, 'task outcome not recorded; it is reclaimed when its lease runs out');
    } finally {
      clearInterval(beat);
      running.delete(task.id);
    }
  };

  const loop = async () => {
    while (!stopping.signal.aborted) {
      try {
        await o.untilResumed(stopping.signal);
        const task = await o.queue.claim({ worker: id, kinds: o.kinds, leaseMs: o.leaseMs });
        if (task) await runOne(task);
        else await idle();
      } catch (err) {
        if (stopping.signal.aborted) return;
        o.logger.error({ err }, 'cannot claim tasks; trying again');
        await sleep(Math.max(o.pollMs, 1000), undefined, { signal: stopping.signal }).catch(() => {}); // rejects only when stopping aborts the wait
      }
    }
  };
  const loops = Array.from({ length: o.concurrency }, loop);

  return {
    id,
    wake: wakeUp,
    running: () => running.size,
    async stop(graceMs) {
      stopping.abort();
      wakeUp();
      const all = Promise.all(loops);
      if (running.size) {
        const grace = new AbortController();
        const finished = await Promise.race([all.then(() => true), sleep(graceMs, false, { signal: grace.signal }).catch(() => false)]); // the timer's abort is its only failure
        grace.abort();
        if (!finished) for (const ctrl of running.values()) ctrl.abort(STOPPING);
      }
      await all;
    },
  };
}
