/** Trace hops on SQLite: one table beside the ledger, in the same file. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { detailOf, detailText, FINDABLE_SQL, type TraceHop, type Traces } from './traces.ts';
import { immediate } from './sqlite-db.ts';

interface Row { trace: string; hop: string; ref: string; agent: string; at: number; detail: string | null }

const toHop = (r: Row): TraceHop => {
  const detail = detailOf(r.detail);
  return { trace: r.trace, hop: r.hop, ref: r.ref, agent: r.agent, at: r.at, ...(detail ? { detail } : {}) };
};

export function createSqliteTraces(db: DatabaseSync): Traces {
  // Prepared once: the insert runs for every hop of every message.
  const prepared = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let stmt = prepared.get(text);
    if (!stmt) prepared.set(text, (stmt = db.prepare(text)));
    return stmt;
  };
  return {
    async record(hops) {
      if (hops.length === 0) return;
      const insert = sql('INSERT OR IGNORE INTO trace_hops (trace, hop, ref, agent, at, detail) VALUES (?, ?, ?, ?, ?, ?)');
      // One transaction for the batch: one commit, however many hops.
      immediate(db, () => {
        for (const h of hops) insert.run(h.trace, h.hop, h.ref, h.agent, h.at, detailText(h.detail));
      });
    },
    async hops(trace) {
      return (sql('SELECT trace, hop, ref, agent, at, detail FROM trace_hops WHERE trace = ? ORDER BY at, seq').all(trace) as unknown as Row[]).map(toHop);
    },
    async traceOf(ref) {
      const row = sql(`SELECT trace FROM trace_hops WHERE ref = ? AND ${FINDABLE_SQL} ORDER BY seq LIMIT 1`).get(ref) as { trace: string } | undefined;
      return row?.trace;
    },
    async prune(before) {
      return Number(sql('DELETE FROM trace_hops WHERE at < ?').run(before).changes);
    },
  };
}
