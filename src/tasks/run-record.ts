/** What happens to a scheduled task goes into its slot's run record: started at its first claim, and how it ended. */
import type { ScheduleRuns, Task } from '../store/index.ts';
import { outcomeOf } from './report.ts';
import { slotOfTask } from './slots.ts';
import type { TaskFinish } from './worker.ts';

/** A worker claimed the task: its slot's run is running (a task no schedule made has no run). */
export async function noteStarted(runs: ScheduleRuns, task: Task, at: number): Promise<void> {
  const slot = slotOfTask(task);
  if (slot) await runs.started(slot, task.id, at);
}

/** The task is over (done, or dead after its last attempt): its slot's run gets the outcome. A failure that will be retried changes nothing. */
export async function noteFinished(runs: ScheduleRuns, f: TaskFinish, at: number): Promise<void> {
  const slot = f.final ? slotOfTask(f.task) : undefined;
  if (slot) await runs.finished(slot, outcomeOf(f), at, f.task.id);
}
