/**
 * The autonomous role (the seed's Kaylee, role.ts): the scheduler and its run records, the task
 * kinds it runs by name, the worker and the reports. Imports agent/ and the layers below it; never relay/ or
 * orchestrator/ (its alerts' channel is handed to it by the CLI).
 */
export { schedulePayloadProblems, TASK_KIND_HANDLERS } from './registry.ts';
export { TaskFailure, payloadOf } from './kind.ts';
export type { PayloadProblem, Recipient, TaskContext, TaskKind, TaskOutcome } from './kind.ts';
export { REVIEW_NAMESPACE } from './code-review.ts';
export { outcomeOf, recipientsOf, reportText, sendReport } from './report.ts';
export { startWorker } from './worker.ts';
export type { TaskFinish, Worker, WorkerOptions } from './worker.ts';
export { REPORTED_NAMESPACE, reportLostTasks } from './lost.ts';
export { MISSED_RECORDED, startScheduler } from './scheduler.ts';
export type { Scheduler, SchedulerOptions } from './scheduler.ts';
export { cronOf, MAX_COUNTED_SLOTS, slotKey, slotOfTask, slotsBetween } from './slots.ts';
export type { ScheduleConfig, SlotSpan } from './slots.ts';
export { missedReportText, sendMissedReport } from './missed.ts';
export type { MissedReport } from './missed.ts';
export { noteFinished, noteStarted } from './run-record.ts';
