/** Trace hops on PostgreSQL: one table beside the ledger, in the same schema. */
import type pg from 'pg';
import { detailOf, detailText, FINDABLE_SQL, type TraceHop, type Traces } from './traces.ts';

/** Rows as pg returns them: bigint columns come as strings. */
interface Row { trace: string; hop: string; ref: string; agent: string; at: string; detail: string | null }

const toHop = (r: Row): TraceHop => {
  const detail = detailOf(r.detail);
  return { trace: r.trace, hop: r.hop, ref: r.ref, agent: r.agent, at: Number(r.at), ...(detail ? { detail } : {}) };
};

export function createPgTraces(pool: pg.Pool): Traces {
  return {
    async record(hops) {
      if (hops.length === 0) return;
      // One statement for the batch: one round trip, however many hops; the rows keep their order.
      const values: unknown[] = [];
      const rows = hops.map((h, i) => {
        values.push(h.trace, h.hop, h.ref, h.agent, h.at, detailText(h.detail));
        const b = i * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
      });
      await pool.query(`INSERT INTO trace_hops (trace, hop, ref, agent, at, detail) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`, values);
    },
    async hops(trace) {
      const { rows } = await pool.query<Row>('SELECT trace, hop, ref, agent, at, detail FROM trace_hops WHERE trace = $1 ORDER BY at, seq', [trace]);
      return rows.map(toHop);
    },
    async traceOf(ref) {
      const { rows } = await pool.query<{ trace: string }>(`SELECT trace FROM trace_hops WHERE ref = $1 AND ${FINDABLE_SQL} ORDER BY seq LIMIT 1`, [ref]);
      return rows[0]?.trace;
    },
    async prune(before) {
      const res = await pool.query('DELETE FROM trace_hops WHERE at < $1', [before]);
      return res.rowCount ?? 0;
    },
  };
}
