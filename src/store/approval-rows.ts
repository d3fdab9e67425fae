/** The approvals table's rows, shared by the SQL backends: times are epoch ms (numbers from SQLite, strings from pg's bigint). */
import type { Approval, ApprovalStatus } from './approvals.ts';

type Ms = number | string;
const iso = (ms: Ms) => new Date(Number(ms)).toISOString();

export interface ApprovalRow {
  id: string;
  code: string;
  agent: string;
  action_kind: string;
  action_name: string;
  action_args: string | null;
  reason: string;
  action_key: string;
  context: string | null;
  status: ApprovalStatus;
  requested_at: Ms;
  expires_at: Ms;
  decided_by: string | null;
  channel: string | null;
  decided_at: Ms | null;
  ran_at: Ms | null;
  run_outcome: string | null;
}

export function approvalFromRow(r: ApprovalRow): Approval {
  const a: Approval = {
    id: r.id,
    code: r.code,
    agent: r.agent,
    action: { kind: r.action_kind, name: r.action_name, ...(r.action_args !== null ? { args: JSON.parse(r.action_args) } : {}) },
    reason: r.reason,
    actionKey: r.action_key,
    status: r.status,
    requestedAt: iso(r.requested_at),
    expiresAt: iso(r.expires_at),
  };
  if (r.context !== null) a.context = JSON.parse(r.context);
  if (r.decided_by !== null) a.decidedBy = r.decided_by;
  if (r.channel !== null) a.channel = r.channel;
  if (r.decided_at !== null) a.decidedAt = iso(r.decided_at);
  if (r.ran_at !== null) a.ranAt = iso(r.ran_at);
  if (r.run_outcome !== null) a.runOutcome = JSON.parse(r.run_outcome);
  return a;
}

/** JSON text of a value that must be JSON (undefined stays NULL). */
export const jsonOrNull = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
