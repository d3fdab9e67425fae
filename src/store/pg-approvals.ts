/**
 * Approvals on PostgreSQL. A decision is one conditional UPDATE (`WHERE status = 'pending'`), so
 * two deciders at once get one `decided` between them; a new request relies on the table's unique
 * indexes (action key, pending code) and tries another code when it drew one taken meanwhile.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../pg/index.ts';
import { approvalFromRow, jsonOrNull, type ApprovalRow } from './approval-rows.ts';
import {
  ApprovalCodesExhaustedError, ApprovalNotFoundError, checkRequest, checkRunnable, CODE_QUIET_MS, pickCode, refusalOf,
  type Approval, type Approvals, type DecideResult,
} from './approvals.ts';

/** Draws before giving up on a code race; each lost draw means another request took that code in the same instant. */
const CODE_DRAWS = 20;

export function createPgApprovals(pool: pg.Pool, now: () => number): Approvals {
  const one = async (text: string, params: unknown[]): Promise<Approval | undefined> => {
    const { rows } = await pool.query<ApprovalRow>(text, params);
    return rows[0] && approvalFromRow(rows[0]);
  };
  const byKey = (agent: string, key: string) => one('SELECT * FROM approvals WHERE agent = $1 AND action_key = $2', [agent, key]);
  const codes = async (text: string, params: unknown[]) => new Set((await pool.query<{ code: string }>(text, params)).rows.map((r) => r.code));

  return {
    async request(r) {
      checkRequest(r);
      const at = r.at ?? now();
      for (let draw = 0; draw < CODE_DRAWS; draw++) {
        const existing = await byKey(r.agent, r.actionKey);
        if (existing) return { approval: existing, created: false };
        const code = pickCode(
          await codes(`SELECT code FROM approvals WHERE status = 'pending'`, []),
          await codes('SELECT code FROM approvals WHERE requested_at > $1', [at - CODE_QUIET_MS]),
        );
        // ON CONFLICT DO NOTHING covers both unique indexes: the key asked meanwhile (found above next time round) or the code drawn by another.
        const inserted = await one(
          `INSERT INTO approvals (id, code, agent, action_kind, action_name, action_args, reason, action_key, context, status, requested_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11) ON CONFLICT DO NOTHING RETURNING *`,
          [`approval-${randomUUID()}`, code, r.agent, r.action.kind, r.action.name, jsonOrNull(r.action.args), r.reason, r.actionKey, jsonOrNull(r.context), at, at + r.ttlMs],
        );
        if (inserted) return { approval: inserted, created: true };
      }
      throw new ApprovalCodesExhaustedError();
    },

    async decide(d) {
      const at = d.at ?? now();
      return inTransaction(pool, async (client): Promise<DecideResult> => {
        // By code: the pending approval with it, else the last one that had it (to say "already decided" or "expired").
        // FOR UPDATE: a second decider waits here and then reads the first one's decision.
        const { rows } = d.id !== undefined
          ? await client.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1 FOR UPDATE', [d.id])
          : await client.query<ApprovalRow>(`SELECT * FROM approvals WHERE code = $1 ORDER BY status = 'pending' DESC, seq DESC LIMIT 1 FOR UPDATE`, [d.code ?? '']);
        if (!rows[0]) return { outcome: 'unknown' };
        const found = approvalFromRow(rows[0]);
        const refused = refusalOf(found, at);
        if (refused) return refused;
        const updated = await client.query<ApprovalRow>(
          `UPDATE approvals SET status = $1, decided_by = $2, channel = $3, decided_at = $4 WHERE id = $5 AND status = 'pending' RETURNING *`,
          [d.decision === 'approve' ? 'approved' : 'denied', d.by, d.channel, at, found.id],
        );
        // Under FOR UPDATE the row cannot have been decided between the read and this write.
        return { outcome: 'decided', approval: approvalFromRow(updated.rows[0]!) };
      });
    },

    async expire(at = now()) {
      // One statement: a row expired by a concurrent call no longer matches, so each expiry is returned once.
      const { rows } = await pool.query<ApprovalRow>(
        `UPDATE approvals SET status = 'expired' WHERE status = 'pending' AND expires_at <= $1 RETURNING *`,
        [at],
      );
      return rows.sort((a, b) => Number(a.requested_at) - Number(b.requested_at)).map(approvalFromRow);
    },

    async get(id) {
      return one('SELECT * FROM approvals WHERE id = $1', [id]);
    },

    async list(o = {}) {
      const status = o.status ?? (o.all ? null : 'pending');
      const { rows } = await pool.query<ApprovalRow>('SELECT * FROM approvals WHERE ($1::text IS NULL OR status = $1) ORDER BY seq DESC LIMIT $2', [status, o.limit ?? 100]);
      return rows.map(approvalFromRow).reverse();
    },

    async markRun(id, outcome, at = now()) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1 FOR UPDATE', [id]);
        if (!rows[0]) throw new ApprovalNotFoundError(id);
        checkRunnable(approvalFromRow(rows[0]));
        const updated = await client.query<ApprovalRow>('UPDATE approvals SET ran_at = $1, run_outcome = $2 WHERE id = $3 RETURNING *', [at, jsonOrNull(outcome ?? null), id]);
        return approvalFromRow(updated.rows[0]!);
      });
    },
  };
}
