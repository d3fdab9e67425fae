/** The delivery ledger on PostgreSQL: two tables next to the queue and memory, in the same schema. */
import type pg from 'pg';
import type { InboundRecord, InboundState, Ledger, NewOutbound, OutboundRecord, OutboundState } from './ledger.ts';
import { inTransaction } from '../pg/index.ts';
import { buttonsColumn, buttonsFromColumn, tapColumn, tapFromColumn } from './sql-rows.ts';

/** Rows as pg returns them: bigint columns come as strings. */
interface InRow { key: string; agent: string; chat_id: string; sender: string; text: string; received_at: string; state: InboundState; escalated_as: string | null; tap: string | null }
interface OutRow {
  seq: string; key: string; agent: string; chat_id: string; text: string; state: OutboundState; attempts: number; not_before: string;
  created_at: string; sent_at: string | null; provider_id: string | null; delivery: string | null; last_error: string | null; buttons: string | null; trace: string | null;
}

const toIn = (r: InRow): InboundRecord => ({
  key: r.key, agent: r.agent, chatId: r.chat_id, sender: r.sender, text: r.text, receivedAt: Number(r.received_at), state: r.state,
  ...(r.escalated_as ? { escalatedAs: r.escalated_as } : {}),
  ...tapFromColumn(r.tap),
});
const toOut = (r: OutRow): OutboundRecord => ({
  seq: Number(r.seq), key: r.key, agent: r.agent, chatId: r.chat_id, text: r.text, state: r.state, attempts: r.attempts,
  notBefore: Number(r.not_before), createdAt: Number(r.created_at),
  ...(r.sent_at !== null ? { sentAt: Number(r.sent_at) } : {}),
  ...(r.provider_id !== null ? { providerId: r.provider_id } : {}),
  ...(r.delivery !== null ? { delivery: r.delivery } : {}),
  ...(r.last_error !== null ? { lastError: r.last_error } : {}),
  ...buttonsFromColumn(r.buttons),
  ...(r.trace !== null ? { trace: r.trace } : {}),
});

/**
 * Each chat's oldest pending reply, by index seeks (a loose index scan over ledger_outbound_pending:
 * agent, state, chat_id, seq) instead of a GROUP BY over every pending row, which the outbox paid
 * on every wake while an owner was not connected (bench/relay-memory.ts). `$1` is the agent.
 */
const HEADS = `
  WITH RECURSIVE chats(chat_id) AS (
    (SELECT chat_id FROM ledger_outbound WHERE agent = $1 AND state = 'pending' ORDER BY chat_id LIMIT 1)
    UNION ALL
    SELECT (SELECT l.chat_id FROM ledger_outbound l WHERE l.agent = $1 AND l.state = 'pending' AND l.chat_id > c.chat_id ORDER BY l.chat_id LIMIT 1)
    FROM chats c WHERE c.chat_id IS NOT NULL
  )
  SELECT o.* FROM chats c
  CROSS JOIN LATERAL (SELECT * FROM ledger_outbound l WHERE l.agent = $1 AND l.state = 'pending' AND l.chat_id = c.chat_id ORDER BY l.seq LIMIT 1) o`;

export function createPgLedger(pool: pg.Pool, now: () => number): Ledger {
  /** One insert per reply, in order: their seq is the order a chat's replies go out in. */
  const insertOut = async (client: pg.PoolClient, replies: NewOutbound[]) => {
    let added = 0;
    for (const r of replies) {
      const res = await client.query(
        `INSERT INTO ledger_outbound (key, agent, chat_id, text, buttons, state, attempts, not_before, created_at, trace) VALUES ($1, $2, $3, $4, $5, 'pending', 0, 0, $6, $7)
         ON CONFLICT DO NOTHING`,
        [r.key, r.agent, r.chatId, r.text, buttonsColumn(r.buttons), now(), r.trace ?? null],
      );
      added += res.rowCount ?? 0;
    }
    return added;
  };
  const count = async <S extends string>(table: string, agent: string, into: Record<S, number>) => {
    const { rows } = await pool.query<{ state: S; n: number }>(`SELECT state, count(*)::int AS n FROM ${table} WHERE agent = $1 GROUP BY state`, [agent]);
    for (const r of rows) into[r.state] = r.n;
    return into;
  };
  return {
    async receive(m) {
      const res = await pool.query(
        `INSERT INTO ledger_inbound (key, agent, chat_id, sender, text, received_at, tap, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'received') ON CONFLICT DO NOTHING`,
        [m.key, m.agent, m.chatId, m.sender, m.text, m.receivedAt, tapColumn(m.tap)],
      );
      return (res.rowCount ?? 0) > 0;
    },
    async getInbound(agent, key) {
      const { rows } = await pool.query<InRow>('SELECT * FROM ledger_inbound WHERE agent = $1 AND key = $2', [agent, key]);
      return rows[0] && toIn(rows[0]);
    },
    async unfinished(agent) {
      const { rows } = await pool.query<InRow>(`SELECT * FROM ledger_inbound WHERE agent = $1 AND state = 'received' ORDER BY received_at, seq`, [agent]);
      return rows.map(toIn);
    },
    async escalating(agent, key, requestId) {
      await pool.query('UPDATE ledger_inbound SET escalated_as = $1 WHERE agent = $2 AND key = $3', [requestId, agent, key]);
    },
    async enqueue(replies) {
      return inTransaction(pool, (client) => insertOut(client, replies));
    },
    async finish(agent, key, state, replies = []) {
      await inTransaction(pool, async (client) => {
        await insertOut(client, replies);
        await client.query('UPDATE ledger_inbound SET state = $1 WHERE agent = $2 AND key = $3', [state, agent, key]);
      });
    },
    async due(agent, at) {
      // The oldest pending reply of each chat, if its wait is over: a chat's order is never overtaken.
      const { rows } = await pool.query<OutRow>(`${HEADS} WHERE o.not_before <= $2 ORDER BY o.seq`, [agent, Number.isFinite(at) ? at : Number.MAX_SAFE_INTEGER]);
      return rows.map(toOut);
    },
    async markSent(seq, providerId, at) {
      await pool.query(`UPDATE ledger_outbound SET state = 'sent', attempts = attempts + 1, provider_id = $1, sent_at = $2, last_error = NULL WHERE seq = $3`, [providerId, at, seq]);
    },
    async retryLater(seq, error, notBefore) {
      await pool.query('UPDATE ledger_outbound SET attempts = attempts + 1, last_error = $1, not_before = $2 WHERE seq = $3', [error, notBefore, seq]);
    },
    async markFailed(seq, error) {
      await pool.query(`UPDATE ledger_outbound SET state = 'failed', attempts = attempts + 1, last_error = $1 WHERE seq = $2`, [error, seq]);
    },
    async delivery(providerId, status) {
      await pool.query('UPDATE ledger_outbound SET delivery = $1 WHERE provider_id = $2', [status, providerId]);
    },
    async outbound(agent, o = {}) {
      const { rows } = await pool.query<OutRow>(
        'SELECT * FROM ledger_outbound WHERE agent = $1 AND ($2::text IS NULL OR chat_id = $2) ORDER BY seq DESC LIMIT $3',
        [agent, o.chatId || null, o.limit ?? 100],
      );
      return rows.map(toOut).reverse();
    },
    async stats(agent, at) {
      const inbound = await count('ledger_inbound', agent, { received: 0, handled: 0, refused: 0 });
      const outbound = await count('ledger_outbound', agent, { pending: 0, sent: 0, failed: 0 });
      // The oldest pending reply is one of the chats' heads (seq follows created_at): no scan of every pending row.
      const { rows } = await pool.query<{ t: string | null }>(`SELECT min(o.created_at) AS t FROM (${HEADS}) o`, [agent]);
      const oldest = rows[0]?.t ?? null;
      return { inbound, outbound, ...(oldest !== null ? { oldestPendingMs: Math.max(0, at - Number(oldest)) } : {}) };
    },
  };
}
