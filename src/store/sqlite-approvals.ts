/** Approvals on SQLite: one table beside the queue, memory and ledger; every read-then-write in BEGIN IMMEDIATE. */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { approvalFromRow, jsonOrNull, type ApprovalRow } from './approval-rows.ts';
import {
  ApprovalNotFoundError, checkRequest, checkRunnable, CODE_QUIET_MS, pickCode, refusalOf,
  type Approval, type Approvals, type DecideResult,
} from './approvals.ts';
import { immediate } from './sqlite-db.ts';

export function createSqliteApprovals(db: DatabaseSync, now: () => number): Approvals {
  const prepared = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let stmt = prepared.get(text);
    if (!stmt) prepared.set(text, (stmt = db.prepare(text)));
    return stmt;
  };
  const byId = (id: string) => sql('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined;
  const read = (id: string): Approval | undefined => {
    const r = byId(id);
    return r && approvalFromRow(r);
  };
  const codes = (text: string, ...params: number[]) => new Set((sql(text).all(...params) as Array<{ code: string }>).map((r) => r.code));

  return {
    async request(r) {
      checkRequest(r);
      const at = r.at ?? now();
      return immediate(db, () => {
        const existing = sql('SELECT * FROM approvals WHERE agent = ? AND action_key = ?').get(r.agent, r.actionKey) as ApprovalRow | undefined;
        if (existing) return { approval: approvalFromRow(existing), created: false };
        const code = pickCode(codes("SELECT code FROM approvals WHERE status = 'pending'"), codes('SELECT code FROM approvals WHERE requested_at > ?', at - CODE_QUIET_MS));
        const id = `approval-${randomUUID()}`;
        sql(`INSERT INTO approvals (id, code, agent, action_kind, action_name, action_args, reason, action_key, context, status, requested_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`)
          .run(id, code, r.agent, r.action.kind, r.action.name, jsonOrNull(r.action.args), r.reason, r.actionKey, jsonOrNull(r.context), at, at + r.ttlMs);
        return { approval: read(id)!, created: true };
      });
    },

    async decide(d) {
      const at = d.at ?? now();
      return immediate(db, (): DecideResult => {
        // By code: the pending approval with it, else the last one that had it (to say "already decided" or "expired").
        const row = d.id !== undefined
          ? byId(d.id)
          : (sql("SELECT * FROM approvals WHERE code = ? ORDER BY status = 'pending' DESC, seq DESC LIMIT 1").get(d.code ?? '') as ApprovalRow | undefined);
        if (!row) return { outcome: 'unknown' };
        const found = approvalFromRow(row);
        const refused = refusalOf(found, at);
        if (refused) return refused;
        sql("UPDATE approvals SET status = ?, decided_by = ?, channel = ?, decided_at = ? WHERE id = ? AND status = 'pending'")
          .run(d.decision === 'approve' ? 'approved' : 'denied', d.by, d.channel, at, found.id);
        return { outcome: 'decided', approval: read(found.id)! };
      });
    },

    async expire(at = now()) {
      return immediate(db, () => {
        const rows = sql("SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ? ORDER BY seq").all(at) as unknown as ApprovalRow[];
        sql("UPDATE approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= ?").run(at);
        return rows.map((r) => approvalFromRow({ ...r, status: 'expired' }));
      });
    },

    async get(id) {
      return read(id);
    },

    async list(o = {}) {
      const status = o.status ?? (o.all ? null : 'pending');
      const rows = sql('SELECT * FROM approvals WHERE (? IS NULL OR status = ?) ORDER BY seq DESC LIMIT ?').all(status, status, o.limit ?? 100) as unknown as ApprovalRow[];
      return rows.map(approvalFromRow).reverse();
    },

    async markRun(id, outcome, at = now()) {
      return immediate(db, () => {
        const row = byId(id);
        if (!row) throw new ApprovalNotFoundError(id);
        checkRunnable(approvalFromRow(row));
        sql('UPDATE approvals SET ran_at = ?, run_outcome = ? WHERE id = ?').run(at, jsonOrNull(outcome ?? null), id);
        return read(id)!;
      });
    },
  };
}

