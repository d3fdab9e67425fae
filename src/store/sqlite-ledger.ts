/** The delivery ledger on SQLite: two tables next to the queue and memory, in the same file. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { InboundRecord, InboundState, Ledger, NewOutbound, OutboundRecord, OutboundState } from './ledger.ts';
import { buttonsColumn, buttonsFromColumn, tapColumn, tapFromColumn } from './sql-rows.ts';
import { immediate } from './sqlite-db.ts';

interface InRow { key: string; agent: string; chat_id: string; sender: string; text: string; received_at: number; state: InboundState; escalated_as: string | null; tap: string | null }
interface OutRow {
  seq: number; key: string; agent: string; chat_id: string; text: string; state: OutboundState; attempts: number; not_before: number;
  created_at: number; sent_at: number | null; provider_id: string | null; delivery: string | null; last_error: string | null; buttons: string | null; trace: string | null;
}

const toIn = (r: InRow): InboundRecord => ({
  key: r.key, agent: r.agent, chatId: r.chat_id, sender: r.sender, text: r.text, receivedAt: r.received_at, state: r.state,
  ...(r.escalated_as ? { escalatedAs: r.escalated_as } : {}),
  ...tapFromColumn(r.tap),
});
const toOut = (r: OutRow): OutboundRecord => ({
  seq: r.seq, key: r.key, agent: r.agent, chatId: r.chat_id, text: r.text, state: r.state, attempts: r.attempts, notBefore: r.not_before, createdAt: r.created_at,
  ...(r.sent_at !== null ? { sentAt: r.sent_at } : {}),
  ...(r.provider_id !== null ? { providerId: r.provider_id } : {}),
  ...(r.delivery !== null ? { delivery: r.delivery } : {}),
  ...(r.last_error !== null ? { lastError: r.last_error } : {}),
  ...buttonsFromColumn(r.buttons),
  ...(r.trace !== null ? { trace: r.trace } : {}),
});

/**
 * Each chat's oldest pending reply, found with one index seek per chat (a skip scan over
 * ledger_outbound_pending: agent, state, chat_id, seq). A GROUP BY over the pending rows cost
 * O(pending) per call, and the outbox asks on every wake: 1 ms at 10 000 replies waiting for an
 * owner who is not connected, 3 ms at 30 000, per message (bench/relay-memory.ts).
 */
const HEADS = `
  WITH RECURSIVE chats(chat_id) AS (
    SELECT (SELECT MIN(chat_id) FROM ledger_outbound WHERE agent = :agent AND state = 'pending')
    UNION ALL
    SELECT (SELECT MIN(chat_id) FROM ledger_outbound WHERE agent = :agent AND state = 'pending' AND chat_id > chats.chat_id)
    FROM chats WHERE chats.chat_id IS NOT NULL
  )
  SELECT o.* FROM chats
  JOIN ledger_outbound o ON o.seq = (SELECT MIN(seq) FROM ledger_outbound WHERE agent = :agent AND state = 'pending' AND chat_id = chats.chat_id)`;

export function createSqliteLedger(db: DatabaseSync, now: () => number): Ledger {
  // Statements are prepared once: preparing parses the SQL on every call, and each one holds native memory until a GC.
  const prepared = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let stmt = prepared.get(text);
    if (!stmt) prepared.set(text, (stmt = db.prepare(text)));
    return stmt;
  };
  const insertOut = (replies: NewOutbound[]) => {
    const stmt = sql('INSERT OR IGNORE INTO ledger_outbound (key, agent, chat_id, text, buttons, state, attempts, not_before, created_at, trace) VALUES (?, ?, ?, ?, ?, \'pending\', 0, 0, ?, ?)');
    let added = 0;
    for (const r of replies) added += Number(stmt.run(r.key, r.agent, r.chatId, r.text, buttonsColumn(r.buttons), now(), r.trace ?? null).changes);
    return added;
  };
  return {
    async receive(m) {
      const res = sql('INSERT OR IGNORE INTO ledger_inbound (key, agent, chat_id, sender, text, received_at, tap, state) VALUES (?, ?, ?, ?, ?, ?, ?, \'received\')')
        .run(m.key, m.agent, m.chatId, m.sender, m.text, m.receivedAt, tapColumn(m.tap));
      return res.changes > 0;
    },
    async getInbound(agent, key) {
      const r = sql('SELECT * FROM ledger_inbound WHERE agent = ? AND key = ?').get(agent, key) as InRow | undefined;
      return r && toIn(r);
    },
    async unfinished(agent) {
      return (sql('SELECT * FROM ledger_inbound WHERE agent = ? AND state = \'received\' ORDER BY received_at, rowid').all(agent) as unknown as InRow[]).map(toIn);
    },
    async escalating(agent, key, requestId) {
      sql('UPDATE ledger_inbound SET escalated_as = ? WHERE agent = ? AND key = ?').run(requestId, agent, key);
    },
    async enqueue(replies) {
      return immediate(db, () => insertOut(replies));
    },
    async finish(agent, key, state, replies = []) {
      immediate(db, () => {
        insertOut(replies);
        sql('UPDATE ledger_inbound SET state = ? WHERE agent = ? AND key = ?').run(state, agent, key);
      });
    },
    async due(agent, at) {
      // The oldest pending reply of each chat, if its wait is over: a chat's order is never overtaken.
      const rows = sql(`${HEADS} WHERE o.not_before <= :at ORDER BY o.seq`).all({ agent, at: Number.isFinite(at) ? at : Number.MAX_SAFE_INTEGER }) as unknown as OutRow[];
      return rows.map(toOut);
    },
    async markSent(seq, providerId, at) {
      sql('UPDATE ledger_outbound SET state = \'sent\', attempts = attempts + 1, provider_id = ?, sent_at = ?, last_error = NULL WHERE seq = ?').run(providerId, at, seq);
    },
    async retryLater(seq, error, notBefore) {
      sql('UPDATE ledger_outbound SET attempts = attempts + 1, last_error = ?, not_before = ? WHERE seq = ?').run(error, notBefore, seq);
    },
    async markFailed(seq, error) {
      sql('UPDATE ledger_outbound SET state = \'failed\', attempts = attempts + 1, last_error = ? WHERE seq = ?').run(error, seq);
    },
    async delivery(providerId, status) {
      sql('UPDATE ledger_outbound SET delivery = ? WHERE provider_id = ?').run(status, providerId);
    },
    async outbound(agent, o = {}) {
      const rows = o.chatId
        ? sql('SELECT * FROM ledger_outbound WHERE agent = ? AND chat_id = ? ORDER BY seq DESC LIMIT ?').all(agent, o.chatId, o.limit ?? 100)
        : sql('SELECT * FROM ledger_outbound WHERE agent = ? ORDER BY seq DESC LIMIT ?').all(agent, o.limit ?? 100);
      return (rows as unknown as OutRow[]).map(toOut).reverse();
    },
    async stats(agent, at) {
      const inbound = { received: 0, handled: 0, refused: 0 };
      const outbound = { pending: 0, sent: 0, failed: 0 };
      for (const r of sql('SELECT state, COUNT(*) AS n FROM ledger_inbound WHERE agent = ? GROUP BY state').all(agent) as Array<{ state: InboundState; n: number }>) inbound[r.state] = r.n;
      for (const r of sql('SELECT state, COUNT(*) AS n FROM ledger_outbound WHERE agent = ? GROUP BY state').all(agent) as Array<{ state: OutboundState; n: number }>) outbound[r.state] = r.n;
      // The oldest pending reply is one of the chats' heads (seq follows created_at): no scan of every pending row.
      const oldest = sql(`SELECT MIN(o.created_at) AS t FROM (${HEADS}) o`).get({ agent }) as { t: number | null };
      return { inbound, outbound, ...(oldest.t !== null ? { oldestPendingMs: Math.max(0, at - oldest.t) } : {}) };
    },
  };
}
