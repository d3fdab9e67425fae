/**
 * The store: the task queue, the shared memory, the relay's delivery ledger, the approvals, the schedules' runs and the trace hops, on SQLite or
 * PostgreSQL, opened through openStore. Imports only pg/ and the base (errors.ts, log/,
 * config/); never bridge/.
 */
export type { ClaimOptions, EnqueueOptions, ListTasksOptions, Task, TaskQueue, TaskState } from './task-queue.ts';
export { LOST_ON_LAST_ATTEMPT, TASK_STATES } from './task-queue.ts';
export { attemptsOf, DEFAULT_TASK_ATTEMPTS, enqueueTask, TASK_KIND_ATTEMPTS } from './enqueue-task.ts';
export type { Memory, MemoryEntry, MemoryHistoryEntry, MemoryWrite } from './memory.ts';
export { MEMORY_HISTORY } from './memory.ts';
export type { Store, StoreSpec } from './store.ts';
export { createSqliteStore } from './sqlite.ts';
export type { SqliteStoreOptions } from './sqlite.ts';
// The postgres store is opened through openStore, which loads it (and pg) only when configured.
export type { PostgresStoreOptions } from './postgres.ts';
export { checkStore, openStore } from './registry.ts';
export type { Approval, ApprovalAction, ApprovalDecision, ApprovalDecisionInput, ApprovalRequest, Approvals, ApprovalStatus, DecideResult, ListApprovalsOptions } from './approvals.ts';
export { APPROVAL_STATUSES, ApprovalCodesExhaustedError, ApprovalNotFoundError, ApprovalStateError, decisionError, decisionLine, describeAction, runApproved } from './approvals.ts';
export type { FinishedOutcome, ListScheduleRunsOptions, MissedReason, NewScheduleRun, ScheduleRun, ScheduleRunKey, ScheduleRunOutcome, ScheduleRuns } from './schedule-runs.ts';
export { MISSED_REASONS, SCHEDULE_RUN_OUTCOMES } from './schedule-runs.ts';
export type { HopDetail, TraceHop, Traces } from './traces.ts';
export type { InboundRecord, InboundState, InboundTap, Ledger, LedgerStats, NewOutbound, OutboundButton, OutboundRecord, OutboundState } from './ledger.ts';
