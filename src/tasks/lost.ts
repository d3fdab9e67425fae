/**
 * A task whose worker died during its last attempt is dead-lettered by the next claim (the
 * lease ran out and no attempt is left); no worker is there to report it. This finds such
 * tasks and sends their failure report once, whichever agent looks first (a compare-and-set
 * in memory marks a task reported).
 */
import { isAgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Memory, TaskQueue } from '../store/index.ts';
import { LOST_ON_LAST_ATTEMPT } from '../store/task-queue.ts';
import type { TaskFinish } from './worker.ts';

export const REPORTED_NAMESPACE = 'tasks-reported';

export async function reportLostTasks(o: {
  agent: string;
  queue: TaskQueue;
  memory: Memory;
  logger: Logger;
  report: (f: TaskFinish) => Promise<void>;
}): Promise<number> {
  let reported = 0;
  for (const task of await o.queue.list({ state: 'dead', limit: 200 })) {
    if (!task.lastError?.startsWith(LOST_ON_LAST_ATTEMPT)) continue;
    try {
      await o.memory.set(REPORTED_NAMESPACE, task.id, { by: o.agent }, { by: o.agent, ifVersion: 0, ttlMs: 90 * 86_400_000 });
    } catch (err) {
      if (isAgentnetError(err, 'MEMORY_CONFLICT')) continue; // reported already
      throw err;
    }
    o.logger.error({ task: task.id, kind: task.kind }, 'task dead: its worker was lost on the last attempt');
    await o.report({ error: new Error(task.lastError), final: true, task, durationMs: Date.parse(task.updatedAt) - Date.parse(task.runAt) });
    reported++;
  }
  return reported;
}
