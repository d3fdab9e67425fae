/**
 * The owner's yes before a task runs: asks once (the store's approval, keyed by the task and the
 * action), and on each later claim reads the answer. Waiting is not failing: the task is given
 * back to the queue and claimed again shortly; a denial or an expiry ends it as not run. Every
 * kind goes through `runGated`: a task of a kind `approve.tasks` names asks about the task, and a
 * kind with an action of its own (deploy: the deployment) asks about that; either way once.
 */
import { needsApproval, type GatedAction } from '../agent/approvals.ts';
import { describeAction, runApproved, type Approval } from '../store/index.ts';
import { payloadOf, type TaskContext, type TaskKind, type TaskOutcome } from './kind.ts';

/** How soon a waiting task looks for the answer again: quick enough for a phone, cheap for the queue. */
export const APPROVAL_RECHECK_MS = 2000;

/** Whether the action may run now: `run` with the approval to mark (none when no yes is needed), or the outcome to end or wait with. */
export type Gate = { run: true; approval?: Approval } | { run: false; outcome: TaskOutcome };

/** Why the task runs, for the owner: the schedule that enqueued it, or the task alone. */
export function reasonOf(ctx: Pick<TaskContext, 'task'>): string {
  const slot = /^schedule:[^:]+:([^:]+):(.+)$/.exec(ctx.task.idempotencyKey ?? '');
  return slot ? `schedule "${slot[1]}" (due ${slot[2]}), task ${ctx.task.id}` : `task ${ctx.task.id} (${ctx.task.kind})`;
}

export async function approvalGate(ctx: TaskContext, action: GatedAction): Promise<Gate> {
  const policy = ctx.agent.approve;
  if (!policy || !needsApproval(policy, action)) return { run: true };
  const { approval: a, created } = await ctx.store.approvals.request({
    agent: ctx.agent.name,
    action,
    reason: reasonOf(ctx),
    ttlMs: policy.ttlMs,
    actionKey: `${ctx.task.id}:${action.kind}:${action.name}`,
    context: { task: ctx.task.id },
    at: ctx.clock.now(),
  });
  const what = describeAction(action);
  if (created) ctx.logger.info({ task: ctx.task.id, approval: a.id, code: a.code, action: what }, 'waiting for the owner\'s yes');
  const notRun = (why: string): Gate => ({ run: false, outcome: { notRun: true, summary: `${what} not run: ${why}`, result: { notRun: why, approval: a.id } } });
  switch (a.status) {
    case 'approved':
      return a.ranAt ? notRun(`approval ${a.code} already ran at ${a.ranAt}; an approved action runs once`) : { run: true, approval: a };
    case 'denied':
      return notRun(`denied by ${a.decidedBy ?? 'the owner'}${a.channel ? ` (${a.channel})` : ''}`);
    case 'expired':
      return notRun(`approval ${a.code} expired at ${a.expiresAt} without an answer`);
    case 'pending':
      if (ctx.clock.now() >= Date.parse(a.expiresAt)) return notRun(`approval ${a.code} expired at ${a.expiresAt} without an answer`);
      return { run: false, outcome: { summary: `waiting for approval ${a.code}`, waitMs: APPROVAL_RECHECK_MS } };
  }
}

/**
 * Runs a task of `kind` once the policy allows: at once when it names neither the kind's own action
 * nor the kind (`approve.tasks`); else after the owner's yes, recorded as run so it runs once. One
 * approval per task: the kind's own action when the policy names it (a deployment), else the task.
 */
export async function runGated(kind: TaskKind, ctx: TaskContext): Promise<TaskOutcome> {
  const own = kind.approval?.(ctx);
  const policy = ctx.agent.approve;
  const action: GatedAction = own && needsApproval(policy, own.action) ? own.action : { kind: 'task', name: kind.name, args: payloadOf(ctx.task) };
  const gate = await approvalGate(ctx, action);
  if (!gate.run) return own?.notify ? { ...gate.outcome, notify: own.notify } : gate.outcome;
  if (!gate.approval) return kind.run(ctx);
  return runApproved(ctx.store.approvals, gate.approval, () => kind.run(ctx), (o) => ({ summary: o.summary }), () => ctx.clock.now());
}
