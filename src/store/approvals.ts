/**
 * The Approvals contract: an action an agent may take only after the owner's yes. A request
 * gets a short code the owner answers with ("yes 4821"); the decision is taken once, only while
 * the request is pending and before it expires; an approved action is recorded as run once, so
 * a restart never runs it twice. Every backend implements exactly this.
 */
import { randomInt } from 'node:crypto';
import { AgentnetError } from '../errors.ts';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export type ApprovalDecision = 'approve' | 'deny';

/**
 * What the agent wants to do, with its exact arguments. The store keeps it as given; what the
 * kinds mean (deploy, run_command, http_get, tool, task) is the agent layer's business
 * (src/agent/approvals.ts).
 */
export interface ApprovalAction {
  kind: string;
  /** The deployment, the command, the URL, the tool or the task kind. */
  name: string;
  /** The exact arguments (argv, a tool's input, a task's payload), as JSON. */
  args?: unknown;
}

export interface Approval {
  /** `approval-<uuid>`: what the dashboard, the CLI and the asker use. */
  id: string;
  /** Four digits the owner answers with; unique among the pending approvals, drawn at random. */
  code: string;
  /** The agent that asks. */
  agent: string;
  action: ApprovalAction;
  /** Why: the task or request the action serves, in words for the owner. */
  reason: string;
  /** Names the action and what it serves (e.g. `task-…:deploy:production`): the same key is never asked twice. */
  actionKey: string;
  /** What the asker needs to resume when the answer comes (a task id, a bridge request id), as JSON. */
  context?: Record<string, unknown>;
  status: ApprovalStatus;
  requestedAt: string;
  expiresAt: string;
  /** Who decided (an owner's number or id, `terminal`, `dashboard`), from which channel, when. */
  decidedBy?: string;
  channel?: string;
  decidedAt?: string;
  /** An approved action that ran: when, and what came of it. */
  ranAt?: string;
  runOutcome?: unknown;
}

export interface ApprovalRequest {
  agent: string;
  action: ApprovalAction;
  reason: string;
  /** How long the owner has to answer. */
  ttlMs: number;
  actionKey: string;
  context?: Record<string, unknown>;
  /** The time of the request (ms since the epoch); default the store's clock. */
  at?: number;
}

export interface ApprovalDecisionInput {
  /** The approval, by its id or by the code the owner answered with (one of the two). */
  id?: string;
  code?: string;
  decision: ApprovalDecision;
  by: string;
  channel: string;
  /** The time of the answer (ms since the epoch); default the store's clock. */
  at?: number;
}

/**
 * What became of an answer. Only `decided` changed anything; the others say why not, so the
 * owner can be told ("already approved", "expired", "no such code") instead of an error.
 * `expired` with a `pending` approval: its time ran out and `expire` has not marked it yet
 * (it will, and report it then).
 */
export type DecideResult =
  | { outcome: 'decided'; approval: Approval }
  | { outcome: 'already-decided'; approval: Approval }
  | { outcome: 'expired'; approval: Approval }
  | { outcome: 'unknown' };

export interface ListApprovalsOptions {
  /** Only this status. Default: pending only, unless `all`. */
  status?: ApprovalStatus;
  /** Every approval, whatever its status: the audit. */
  all?: boolean;
  /** The newest N (default 100), oldest first. */
  limit?: number;
}

export interface Approvals {
  /** Asks; the same `actionKey` of the same agent returns the approval asked first (`created: false`), whatever its status. */
  request(request: ApprovalRequest): Promise<{ approval: Approval; created: boolean }>;
  /** Takes the owner's answer: once, only while pending and before expiry. */
  decide(decision: ApprovalDecisionInput): Promise<DecideResult>;
  /** Marks the pending approvals whose time ran out by `now` expired and returns them: each expiry is returned once. */
  expire(now?: number): Promise<Approval[]>;
  get(id: string): Promise<Approval | undefined>;
  list(options?: ListApprovalsOptions): Promise<Approval[]>;
  /**
   * Records that an approved action ran, and its outcome: once. Throws ApprovalStateError when
   * the approval is not approved or already ran, ApprovalNotFoundError when there is none.
   */
  markRun(id: string, outcome: unknown, at?: number): Promise<Approval>;
}

export class ApprovalNotFoundError extends AgentnetError {
  constructor(id: string) {
    super('APPROVAL_NOT_FOUND', `no approval "${id}" (see: agentnet approvals ls --all)`);
    this.name = 'ApprovalNotFoundError';
  }
}

export class ApprovalStateError extends AgentnetError {
  constructor(message: string) {
    super('APPROVAL_STATE', message);
    this.name = 'ApprovalStateError';
  }
}

export class ApprovalCodesExhaustedError extends AgentnetError {
  constructor() {
    super('APPROVAL_CODES_EXHAUSTED', 'every four-digit approval code is taken by a pending approval; decide or expire some first (agentnet approvals ls)');
    this.name = 'ApprovalCodesExhaustedError';
  }
}

/** Codes of approvals asked this recently are not handed out again while others are free, so a late or replayed answer never meets a new request. */
export const CODE_QUIET_MS = 24 * 3600_000;
const CODES = 10_000;

/**
 * A random four-digit code not in `taken` (the pending codes), preferring one not in `recent`
 * either. Random, not sequential: one code tells nothing about the next.
 */
export function pickCode(taken: ReadonlySet<string>, recent: ReadonlySet<string> = new Set()): string {
  const code = (n: number) => String(n).padStart(4, '0');
  for (const avoid of [new Set([...taken, ...recent]), taken]) {
    if (avoid.size >= CODES) continue;
    // Drawing is fast while most codes are free; past half, draw from the free ones.
    if (avoid.size < CODES / 2) {
      for (;;) {
        const c = code(randomInt(CODES));
        if (!avoid.has(c)) return c;
      }
    }
    const free = Array.from({ length: CODES }, (_, i) => code(i)).filter((c) => !avoid.has(c));
    return free[randomInt(free.length)]!;
  }
  throw new ApprovalCodesExhaustedError();
}

/** Checks a request before it is stored. */
export function checkRequest(r: ApprovalRequest): void {
  if (!r.agent || !r.actionKey || !r.action?.kind || !r.action.name) {
    throw new AgentnetError('USAGE', 'an approval request needs agent, action.kind, action.name and actionKey');
  }
  if (!(Number.isFinite(r.ttlMs) && r.ttlMs > 0)) throw new AgentnetError('USAGE', `an approval request needs a positive ttlMs, got ${r.ttlMs}`);
}

/** What a decision does to a found approval at `at`, before any write: undefined means it may be decided. */
export function refusalOf(a: Approval, at: number): DecideResult | undefined {
  if (a.status === 'approved' || a.status === 'denied') return { outcome: 'already-decided', approval: a };
  if (a.status === 'expired' || at >= Date.parse(a.expiresAt)) return { outcome: 'expired', approval: a };
  return undefined;
}

/** Only an approved action that has not run may be recorded as run. */
export function checkRunnable(a: Approval): void {
  if (a.status !== 'approved') throw new ApprovalStateError(`approval ${a.id} is ${a.status}; only an approved action runs`);
  if (a.ranAt) throw new ApprovalStateError(`approval ${a.id} already ran at ${a.ranAt}; an approved action runs once`);
}

/** The action in one line for the owner: `deploy production`, `run_command systemctl restart nginx`. */
export function describeAction(action: ApprovalAction): string {
  const args = action.args === undefined ? '' : Array.isArray(action.args) && action.args.every((a) => typeof a === 'string') ? ` ${action.args.join(' ')}` : ` ${JSON.stringify(action.args)}`;
  return `${action.kind} ${action.name}${args}`;
}

/**
 * Why a decision changed nothing, as the error the terminal and the dashboard report: no such
 * approval (`ref` is the id or code asked for), already decided (by whom, how, when), or expired.
 */
export function decisionError(r: Exclude<DecideResult, { outcome: 'decided' }>, ref: string, decision: ApprovalDecision): ApprovalNotFoundError | ApprovalStateError {
  if (r.outcome === 'unknown') return new ApprovalNotFoundError(ref);
  const a = r.approval;
  if (r.outcome === 'expired') return new ApprovalStateError(`approval ${a.code} (${describeAction(a.action)}) expired at ${a.expiresAt}; nothing was ${decision === 'approve' ? 'approved' : 'denied'}, and it will not run`);
  return new ApprovalStateError(`approval ${a.code} (${describeAction(a.action)}) was already ${a.status} by ${a.decidedBy} via ${a.channel} at ${a.decidedAt}; a decision is taken once`);
}

/** A decision taken, in one line: `approved 4821: kaylee may now run deploy production [approval-…]`. */
export function decisionLine(a: Approval): string {
  return `${a.status} ${a.code}: ${a.agent} ${a.status === 'approved' ? 'may now run' : 'will not run'} ${describeAction(a.action)} [${a.id}]`;
}

/**
 * Runs an approved action and records it as run with what came of it (`outcome` of the result, or
 * the failure), so a restart finds it ran and does not run it again. The record follows the run: a
 * crash during the run itself leaves it unrecorded, and the action is run again after the restart.
 */
export async function runApproved<T>(approvals: Approvals, a: Approval, run: () => Promise<T>, outcome: (result: T) => unknown, now: () => number): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (err) {
    await approvals.markRun(a.id, { failed: (err as Error)?.message ?? String(err) }, now());
    throw err;
  }
  await approvals.markRun(a.id, outcome(result), now());
  return result;
}
