/**
 * The owner's yes, asked for by an MCP session (the owner's Claude Code) before a risky step:
 * request_approval asks once and may wait for the answer, approval_status reads one approval and
 * may wait too. The store keeps the request; the relay asks the owners on their phone (it polls
 * the store); `agentnet approvals approve|deny` answers from a terminal. Only the MCP surface
 * serves these: a model inside an agent's tool loop would block the agent while it waits.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AgentnetError } from '../../errors.ts';
import { ApprovalNotFoundError, describeAction, type Approval, type ApprovalAction, type Approvals, type ApprovalStatus } from '../../store/index.ts';
import { systemClock } from '../clock.ts';
import { networkTool, said, type ToolCall, type ToolResult } from './network-tool.ts';

/** What the approval tools need: who asks, in which session, the store's approvals, the default time to answer. */
export interface ApprovalToolContext {
  /** The agent that asks (the MCP server's orchestrator). */
  self: string;
  /** This server's session, random per process: without a key, a request repeated in it is the same request. */
  session: string;
  approvals: Approvals;
  /** How long the owner has when the call names no ttl: the agent's approve.ttl, else 10 min. */
  approvalTtlMs: number;
}

/** How often a waiting call reads the approval again: the relay asks the owners on the same beat. */
export const APPROVAL_WAIT_POLL_MS = 1000;
/** The longest one call waits: MCP clients time a call out (the SDK's default is 60 s). */
export const MAX_WAIT_SECONDS = 300;

const waitSeconds = z
  .number()
  .int()
  .min(0)
  .max(MAX_WAIT_SECONDS)
  .default(0)
  .describe(`how long to wait for the owner's answer before returning, 0 to ${MAX_WAIT_SECONDS} seconds (default 0: at once). Keep it under your MCP client's timeout for one call (often 60 s); to wait longer, call approval_status again`);

/** JSON with sorted keys: the same arguments written in another order are the same arguments. */
const canonical = (v: unknown): string | undefined =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

/** Whether an approval asks for exactly this action, with these arguments, for this reason. */
const sameRequest = (a: Approval, action: ApprovalAction, reason: string) =>
  a.action.kind === action.kind && a.action.name === action.name && canonical(a.action.args) === canonical(action.args) && a.reason === reason;

/** The status as of `now`: a pending approval whose time ran out is expired, whether or not the relay has marked it yet. */
export const statusAt = (a: Approval, now: number): ApprovalStatus => (a.status === 'pending' && now >= Date.parse(a.expiresAt) ? 'expired' : a.status);

/**
 * The store's key of a request. With a key: that key, whatever else the call says (a different
 * action under it is refused). Without: the action, its arguments and the reason, in this session.
 */
function actionKeyOf(ctx: ApprovalToolContext, action: ApprovalAction, reason: string, key: string | undefined): string {
  if (key !== undefined) return `mcp:key:${key}`;
  const digest = createHash('sha256').update(canonical([action.kind, action.name, action.args ?? null, reason])!).digest('hex').slice(0, 32);
  return `mcp:session:${ctx.session}:${digest}`;
}

/** This agent's pending request for exactly this action and reason, from any session: asked already, not again. */
async function pendingTwin(ctx: ApprovalToolContext, action: ApprovalAction, reason: string): Promise<Approval | undefined> {
  const now = systemClock.now();
  return (await ctx.approvals.list({ status: 'pending' })).find((a) => a.agent === ctx.self && statusAt(a, now) === 'pending' && sameRequest(a, action, reason));
}

/**
 * Reads the approval again every APPROVAL_WAIT_POLL_MS until it is decided, its time runs out,
 * `waitMs` passes or the call's signal aborts (the MCP request cancelled, the server closing),
 * telling the call's progress (ms waited of ms at most) before each pause. Returns the last read.
 */
export async function waitForDecision(approvals: Approvals, first: Approval, waitMs: number, call: ToolCall = {}): Promise<Approval> {
  const start = systemClock.now();
  const until = Math.min(start + waitMs, Date.parse(first.expiresAt));
  const stop = call.signal ?? new AbortController().signal;
  let a = first;
  while (statusAt(a, systemClock.now()) === 'pending' && systemClock.now() < until && !stop.aborted) {
    await call.progress?.(systemClock.now() - start, until - start, `waiting for the owner's answer to approval ${a.code}`);
    const slept = await systemClock.sleep(Math.min(APPROVAL_WAIT_POLL_MS, until - systemClock.now()), stop).then(() => true, () => false);
    if (!slept) break;
    a = (await approvals.get(a.id)) ?? a;
  }
  return a;
}

/** What the model is told to do about an approval in this status. */
function noteFor(a: Approval, status: ApprovalStatus, created: boolean): string {
  const ref = `approval ${a.code} (id ${a.id})`;
  const follow = `call approval_status with id "${a.id}" and wait_seconds (up to ${MAX_WAIT_SECONDS}) to wait for the answer`;
  switch (status) {
    case 'pending':
      return created
        ? `asked the owner for ${ref}, expires ${a.expiresAt}: do not do it yet. The relay asks on their phone (they answer "yes ${a.code}"; or agentnet approvals approve ${a.code} in a terminal); ${follow}`
        : `${ref} still waits for the owner's answer (asked ${a.requestedAt}, expires ${a.expiresAt}): do not do it yet; ${follow}`;
    case 'approved':
      return `${ref} approved by ${a.decidedBy} via ${a.channel} at ${a.decidedAt}: go ahead with ${describeAction(a.action)}. The yes covers this action once; ask again for anything else`;
    case 'denied':
      return `${ref} denied by ${a.decidedBy} via ${a.channel} at ${a.decidedAt}: do not do it (${describeAction(a.action)}); tell whoever asked you that the owner said no`;
    case 'expired':
      return `${ref} expired at ${a.expiresAt} without the owner's answer: do not do it. If it is still needed, call request_approval again with a new key`;
  }
}

/** The approval as a tool result: its status as of now, the note, and the approval itself. */
function approvalResult(a: Approval, created: boolean): ToolResult {
  const status = statusAt(a, systemClock.now());
  return said(noteFor(a, status, created), { status, created, approval: a });
}

export const requestApproval = networkTool({
  name: 'request_approval',
  title: "Ask for the owner's yes",
  describe: (ctx: ApprovalToolContext) =>
    `Asks the owner for a yes before a risky or irreversible step (a production deploy, a restart, deleting data), as ${ctx.self}: the relay sends it to their phone with a four-digit code, and they answer "yes 4821" or "no 4821" (or agentnet approvals approve|deny in a terminal). Do the step only once the status is approved. Returns status (pending, approved, denied, expired), the approval (id, code, who decided when) and a note saying what to do. Asked once: the same key returns the first approval whatever its status; without a key, the same action, args and reason from this session (or still pending from any session) do. wait_seconds waits for the answer in this call; past it, follow with approval_status.`,
  input: z.object({
    action: z.string().trim().min(1).max(500).describe('what you want to do, as the owner will read it: a command line ("systemctl restart nginx"), a deployment, a URL, or a short sentence'),
    kind: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lower-case letters, digits and _').default('action').describe('what sort of action: run_command, deploy, http_get, tool, task, or your own word'),
    args: z.unknown().optional().refine((v) => (canonical(v)?.length ?? 0) <= 10_000, 'at most 10 000 characters of JSON').describe('its exact arguments as JSON, when they matter to the decision'),
    reason: z.string().trim().min(1).max(1000).describe('why: the request or task it serves, in words for the owner'),
    ttl_seconds: z.number().int().min(30).max(86_400).optional().describe("how long the owner has to answer, 30 s to 1 day (default: this agent's approve.ttl, else 10 minutes)"),
    wait_seconds: waitSeconds,
    key: z.string().min(1).max(200).optional().describe('names this one request (e.g. "restart-nginx-incident-42"): a retried call with the same key finds the same approval and never asks twice; use a new key to ask again'),
  }),
  async run({ action: name, kind, args, reason, ttl_seconds, wait_seconds, key }, ctx: ApprovalToolContext, call) {
    const action: ApprovalAction = { kind, name, ...(args !== undefined ? { args } : {}) };
    const twin = key === undefined ? await pendingTwin(ctx, action, reason) : undefined;
    const { approval, created } = twin
      ? { approval: twin, created: false }
      : await ctx.approvals.request({ agent: ctx.self, action, reason, ttlMs: ttl_seconds !== undefined ? ttl_seconds * 1000 : ctx.approvalTtlMs, actionKey: actionKeyOf(ctx, action, reason, key), context: { via: 'mcp', session: ctx.session } });
    if (!created && !sameRequest(approval, action, reason)) {
      throw new AgentnetError('APPROVAL_KEY_CONFLICT', `key "${key}" already names approval ${approval.code} for another request (${describeAction(approval.action)}; why: ${approval.reason}): a key names one request; use a new key for this one`);
    }
    return approvalResult(await waitForDecision(ctx.approvals, approval, wait_seconds * 1000, call), created);
  },
});

export const approvalStatus = networkTool({
  name: 'approval_status',
  title: 'Follow an approval',
  describe: () =>
    `One approval by id (from request_approval): pending, approved, denied or expired, who decided when, and a note saying what to do; wait_seconds waits for the answer in this call. Only reads.`,
  input: z.object({ id: z.string().min(1).max(200).describe('the approval id, approval-…'), wait_seconds: waitSeconds }),
  readOnly: true,
  async run({ id, wait_seconds }, ctx: ApprovalToolContext, call) {
    const a = await ctx.approvals.get(id);
    if (!a) throw new ApprovalNotFoundError(id);
    return approvalResult(await waitForDecision(ctx.approvals, a, wait_seconds * 1000, call), false);
  },
});
