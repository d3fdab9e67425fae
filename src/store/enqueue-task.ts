/**
 * Enqueueing a task with its kind's attempts. The autonomous role (src/tasks/) runs the kinds;
 * everything that enqueues (the task_enqueue tool on both surfaces, `agentnet tasks add`, the
 * scheduler) goes through enqueueTask, so a kind gets its own count wherever a task comes from.
 */
import type { TASK_KINDS } from '../config/index.ts';
import type { EnqueueOptions, Task, TaskQueue } from './task-queue.ts';

/** Attempts a task of each kind gets unless the caller says otherwise. */
export const TASK_KIND_ATTEMPTS: Readonly<Record<(typeof TASK_KINDS)[number], number>> = {
  // A missed check is covered by the next scheduled one.
  monitor: 1,
  'rotate-bridge': 3,
  // A half-finished deployment is for a person to look at, not to repeat on its own.
  deploy: 1,
  'code-review': 3,
  prompt: 2,
};

/** A kind this table does not know (a task enqueued by hand). */
export const DEFAULT_TASK_ATTEMPTS = 3;

/** The attempts a task of `kind` gets. */
export const attemptsOf = (kind: string): number => (Object.hasOwn(TASK_KIND_ATTEMPTS, kind) ? TASK_KIND_ATTEMPTS[kind as keyof typeof TASK_KIND_ATTEMPTS] : DEFAULT_TASK_ATTEMPTS);

/** Enqueues a task; `maxAttempts` defaults to the kind's own. */
export function enqueueTask(queue: TaskQueue, options: EnqueueOptions): Promise<Task> {
  return queue.enqueue({ ...options, maxAttempts: options.maxAttempts ?? attemptsOf(options.kind) });
}
