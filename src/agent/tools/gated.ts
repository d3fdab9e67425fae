/**
 * The owner's yes before a model's tool call, under the agent's `approve:` policy. A gated call
 * asks once (keyed by what it serves, the tool and a hash of its arguments, so a turn run again
 * after a crash finds the same request), waits for the answer by polling the store, and then runs
 * once (recorded as run) or tells the model in words that it did not run. The wait is bounded:
 * the request expires after the policy's ttl, at most TOOL_APPROVAL_MAX_MS, because the agent
 * handles nothing else of that conversation meanwhile.
 */
import { createHash } from 'node:crypto';
import type { ApprovalPolicy } from '../../config/index.ts';
import type { Logger } from '../../log/logger.ts';
import { describeAction, runApproved, type Approval, type Approvals } from '../../store/index.ts';
import { toolCallApproval, type GatedAction } from '../approvals.ts';
import { systemClock, type Clock } from '../clock.ts';
import { ToolRefusal, type Tool, type ToolContext } from './tool.ts';

/** How often a waiting call reads the answer: the owner's yes takes effect within a second. */
export const TOOL_APPROVAL_POLL_MS = 1000;
/**
 * The longest a tool call waits for the owner, whatever the policy's ttl: the message (or the
 * owner's chat, or the task) it serves is held that long, and a message gets 10 minutes in all.
 */
export const TOOL_APPROVAL_MAX_MS = 5 * 60_000;

/** What a gated call needs: whose policy, where the requests are kept, and the network's PAUSE. */
export interface ToolGate {
  agent: string;
  policy: ApprovalPolicy;
  approvals: Approvals;
  logger: Logger;
  clock?: Clock;
  /** Resolves when the network is not paused: an approved call runs only then. */
  untilResumed?(signal: AbortSignal): Promise<void>;
}

/** The tools, each asking the owner first when the policy names the call (no gate: as they are). */
export function gateTools(tools: Tool[], gate: ToolGate | undefined): Tool[] {
  return gate ? tools.map((t) => gatedTool(t, gate)) : tools;
}

export function gatedTool(tool: Tool, gate: ToolGate): Tool {
  const name = tool.spec.name;
  return {
    ...tool,
    async run(input, ctx) {
      const action = toolCallApproval(gate.policy, name, input);
      if (!action) return tool.run(input, ctx);
      const why = tool.refusal?.(input);
      if (why) throw new ToolRefusal(`refused: ${why}`);
      if (!ctx.serving) throw new ToolRefusal(`${describeAction(action)} needs the owner's approval, and this call serves no request or task to ask for; not run`);
      const asked = await ask(gate, name, action, input, ctx.serving);
      const answer = await answerOf(gate, asked, ctx.signal);
      return settle(gate, answer, () => tool.run(input, ctx), ctx);
    },
  };
}

/** Text the owner is shown as the reason of a request: one line, quoted, cut at `max` characters. */
export const quoted = (text: string, max = 200): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line);
};

/** The arguments as one canonical JSON text (keys sorted), hashed: the same call hashes the same. */
export function argumentsHash(input: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(canonical(input ?? null))).digest('hex').slice(0, 16);
}

async function ask(gate: ToolGate, tool: string, action: GatedAction, input: unknown, serving: NonNullable<ToolContext['serving']>): Promise<Approval> {
  const clock = gate.clock ?? systemClock;
  const { approval, created } = await gate.approvals.request({
    agent: gate.agent,
    action,
    reason: serving.reason,
    ttlMs: Math.min(gate.policy.ttlMs, TOOL_APPROVAL_MAX_MS),
    actionKey: `${serving.id}:${tool}:${argumentsHash(input)}`,
    context: { serving: serving.id, tool },
    at: clock.now(),
  });
  const fields = { serving: serving.id, tool, approval: approval.id, code: approval.code, action: describeAction(action) };
  if (created) gate.logger.info(fields, "tool call waiting for the owner's yes");
  else gate.logger.info({ ...fields, status: approval.status }, 'tool call found its approval asked before');
  return approval;
}

/** The approval once it is decided or its time is up (then still `pending`); rejects when `signal` aborts. */
async function answerOf(gate: ToolGate, asked: Approval, signal: AbortSignal | undefined): Promise<Approval> {
  const clock = gate.clock ?? systemClock;
  const never = new AbortController().signal;
  for (let a = asked; ; ) {
    const left = Date.parse(a.expiresAt) - clock.now();
    if (a.status !== 'pending' || left <= 0) return a;
    await clock.sleep(Math.min(TOOL_APPROVAL_POLL_MS, left), signal ?? never);
    a = (await gate.approvals.get(a.id)) ?? a;
  }
}

/** Runs an approved call once, or says in words why it did not run. */
async function settle(gate: ToolGate, a: Approval, run: () => Promise<string>, ctx: ToolContext): Promise<string> {
  const clock = gate.clock ?? systemClock;
  const code = `approval ${a.code}`;
  if (a.status === 'denied') throw new ToolRefusal(`not run: the owner denied it (${code}, by ${a.decidedBy ?? 'the owner'}${a.channel ? ` via ${a.channel}` : ''}); do not try it again for this request`);
  if (a.status !== 'approved') throw new ToolRefusal(`not run: ${code} expired at ${a.expiresAt} without the owner's answer`);
  if (a.ranAt) {
    const then = (a.runOutcome ?? {}) as { result?: string; failed?: string };
    return `not run again: ${code} already ran at ${a.ranAt} (an approved call runs once); ${then.failed ? `it failed then: ${then.failed}` : `what it gave then:\n${then.result ?? '(not recorded)'}`}`;
  }
  if (gate.untilResumed) await gate.untilResumed(ctx.signal ?? new AbortController().signal);
  gate.logger.info({ approval: a.id, code: a.code, action: describeAction(a.action) }, 'approved tool call running');
  const result = await runApproved(gate.approvals, a, run, (text) => ({ result: text.slice(0, 4000) }), () => clock.now());
  return `approved by ${a.decidedBy ?? 'the owner'} (${code}); it ran:\n${result}`;
}
