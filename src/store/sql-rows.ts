/**
 * The rows of the SQL backends (SQLite, PostgreSQL) and how they become the contracts' objects.
 * Times are epoch milliseconds: numbers from SQLite, strings from pg (bigint columns).
 */
import { AgentnetError } from '../errors.ts';
import type { InboundTap, OutboundButton } from './ledger.ts';
import type { MemoryEntry } from './memory.ts';
import type { Task, TaskState } from './task-queue.ts';

type Ms = number | string;
const iso = (ms: Ms) => new Date(Number(ms)).toISOString();

export interface TaskRow<T extends Ms> {
  seq: T;
  id: string;
  kind: string;
  payload: string;
  priority: number;
  state: TaskState;
  attempts: number;
  max_attempts: number;
  run_at: T;
  created_at: T;
  updated_at: T;
  idempotency_key: string | null;
  worker: string | null;
  lease_until: T | null;
  result: string | null;
  last_error: string | null;
}

export function taskFromRow(r: TaskRow<Ms>): Task {
  const t: Task = {
    id: r.id,
    kind: r.kind,
    payload: JSON.parse(r.payload),
    priority: r.priority,
    state: r.state,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    runAt: iso(r.run_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
  if (r.idempotency_key !== null) t.idempotencyKey = r.idempotency_key;
  if (r.worker !== null) t.worker = r.worker;
  if (r.lease_until !== null) t.leaseUntil = iso(r.lease_until);
  if (r.result !== null) t.result = JSON.parse(r.result);
  if (r.last_error !== null) t.lastError = r.last_error;
  return t;
}

export interface MemoryRow<T extends Ms> {
  namespace: string;
  key: string;
  value: string;
  version: number;
  written_by: string;
  written_at: T;
  expires_at: T | null;
}

export const memoryEntryFromRow = (r: MemoryRow<Ms>): MemoryEntry => ({
  namespace: r.namespace,
  key: r.key,
  value: JSON.parse(r.value),
  version: r.version,
  writtenBy: r.written_by,
  writtenAt: iso(r.written_at),
  ...(r.expires_at !== null ? { expiresAt: iso(r.expires_at) } : {}),
});

/** Compare-and-set: throws MEMORY_CONFLICT unless the key is at `ifVersion` (0: absent). */
export function checkMemoryVersion(ns: string, key: string, have: number, ifVersion: number | undefined): void {
  if (ifVersion !== undefined && ifVersion !== have) {
    throw new AgentnetError('MEMORY_CONFLICT', `${ns}/${key} is at version ${have}, not ${ifVersion}: someone wrote it since you read it; read again and retry`);
  }
}

/** The ledger's JSON columns: a reply's buttons (null when it has none) and an inbound tap (null for typed text). */
export const buttonsColumn = (b: OutboundButton[] | undefined): string | null => (b?.length ? JSON.stringify(b.map(({ text, data }) => ({ text, data }))) : null);
export const buttonsFromColumn = (v: string | null): { buttons?: OutboundButton[] } => (v === null ? {} : { buttons: JSON.parse(v) as OutboundButton[] });
export const tapColumn = (t: InboundTap | undefined): string | null => (t ? JSON.stringify(t.messageId === undefined ? { id: t.id } : { id: t.id, messageId: t.messageId }) : null);
export const tapFromColumn = (v: string | null): { tap?: InboundTap } => (v === null ? {} : { tap: JSON.parse(v) as InboundTap });
