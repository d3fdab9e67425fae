/**
 * The hops of each request's trace: one small row per step (received, recorded, escalated,
 * claimed, model started…), written by whichever process took the step, read back by
 * `agentnet trace` and the dashboard. They live in the store, beside the ledger, because the
 * store is what every agent and the CLI already share (SQLite on one host, PostgreSQL across
 * hosts), survives restarts, and finds a trace by any id in it with one index seek.
 */

/** A small fact about a hop: tokens, the model, who a message went to. */
export type HopDetail = Record<string, string | number>;

export interface TraceHop {
  /** The trace id (src/bridge/trace.ts). */
  trace: string;
  /** What happened (the names are src/agent/trace-hops.ts's). */
  hop: string;
  /** What it happened to: a message id, a ledger key, a task id, a provider's message id. */
  ref: string;
  /** Who recorded it: an agent, or a command (`cli`, `mcp:claude`). */
  agent: string;
  /** When, ms since the epoch. */
  at: number;
  detail?: HopDetail;
}

/**
 * The hops whose ref is what a person looks a trace up by: an inbound message's ledger key
 * (received), a message id (its append), a task id (task-enqueued), a provider's message id
 * (sent). Only they are indexed by ref: the other hops' refs (model calls, outbox keys) are
 * never looked up, and an index costs every message's write.
 */
export const FINDABLE_HOPS = ['received', 'escalated', 'requested', 'answered', 'notified', 'task-enqueued', 'sent'] as const;

/** `hop IN (...)` over FINDABLE_HOPS: the partial index's condition, repeated by the query that uses it. */
export const FINDABLE_SQL = `hop IN (${FINDABLE_HOPS.map((h) => `'${h}'`).join(', ')})`;

export interface Traces {
  /** Records hops; a hop recorded before (the same trace, hop and ref) keeps its first record. */
  record(hops: readonly TraceHop[]): Promise<void>;
  /** A trace's hops, oldest first (ties in the order recorded). */
  hops(trace: string): Promise<TraceHop[]>;
  /** The trace of the message, inbound message, task or provider message `ref` names (a FINDABLE_HOPS hop's ref), if any. */
  traceOf(ref: string): Promise<string | undefined>;
  /** Forgets the hops recorded before `before` (ms); returns how many. */
  prune(before: number): Promise<number>;
}

/** Detail as stored: JSON text, or null for none. */
export const detailText = (d: HopDetail | undefined): string | null => (d && Object.keys(d).length ? JSON.stringify(d) : null);

/** Detail read back; a row some other writer garbled reads as none. */
export function detailOf(text: string | null): HopDetail | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as HopDetail) : undefined;
  } catch {
    return undefined;
  }
}
