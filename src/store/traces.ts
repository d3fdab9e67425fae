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

export interface Traces {
  /** Records hops; a hop recorded before (the same trace, hop and ref) keeps its first record. */
  record(hops: readonly TraceHop[]): Promise<void>;
  /** A trace's hops, oldest first (ties in the order recorded). */
  hops(trace: string): Promise<TraceHop[]>;
  /** The trace a hop's ref belongs to (a message id, a ledger key, a task id…), if any hop names it. */
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
