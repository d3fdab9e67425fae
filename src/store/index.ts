export type { ClaimOptions, EnqueueOptions, ListTasksOptions, Task, TaskQueue, TaskState } from './task-queue.ts';
export { LOST_ON_LAST_ATTEMPT, TASK_STATES } from './task-queue.ts';
export type { Memory, MemoryEntry, MemoryHistoryEntry, MemoryWrite } from './memory.ts';
export { MEMORY_HISTORY } from './memory.ts';
export type { Store, StoreSpec } from './store.ts';
export { createSqliteStore } from './sqlite.ts';
export type { SqliteStoreOptions } from './sqlite.ts';
export { openStore } from './registry.ts';
export type { InboundRecord, InboundState, Ledger, LedgerStats, NewOutbound, OutboundRecord, OutboundState } from './ledger.ts';
