/**
 * The owner's yes before a tool call, under the agent's `approve:` policy, on both surfaces: a
 * model's call (gatedTool) and a call over `agentnet mcp` (gatedNetworkTool) go through one gate
 * (passGate). A gated call asks once (keyed by what it serves, the tool and a hash of its
 * arguments, so the same call made again finds the same request), waits for the answer by polling
 * the store, and then runs once (recorded as run) or says in words that it did not run. The wait
 * is bounded: the request expires after the policy's ttl, at most TOOL_APPROVAL_MAX_MS, because
 * what the call serves is held meanwhile.
 */
import { createHash } from 'node:crypto';
import type { ApprovalPolicy } from '../../config/index.ts';
import type { Logger } from '../../log/logger.ts';
import { describeAction, runApproved, type Approval, type Approvals } from '../../store/index.ts';
import { toolCallApproval, type GatedAction } from '../approvals.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { NetworkTool, ToolCall } from './network-tool.ts';
import { ToolRefusal, type Serving, type Tool } from './tool.ts';

/** How often a waiting call reads the answer: the owner's yes takes effect within a second. */
export const TOOL_APPROVAL_POLL_MS = 1000;
/**
 * The longest a tool call waits for the owner, whatever the policy's ttl: the message (or the
 * owner's chat, or the task) it serves is held that long, and a message gets 10 minutes in all.
 */
export const TOOL_APPROVAL_MAX_MS = 5 * 60_000;
/**
 * How long an MCP call whose client sent no progress token waits before it returns "still
 * pending": such a client times the call out (the SDK's default is 60 s), and the same call made
 * again waits on for the same request.
 */
export const UNPROGRESSED_WAIT_MS = 50_000;

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

/** One call at the gate. */
interface GatedCall extends ToolCall {
  tool: string;
  action: GatedAction;
  input: unknown;
  serving: Serving;
  /** Returns the approval still pending after this long; default: waits until it is decided or expires. */
  waitMs?: number;
  /** When the call came to the gate: its progress counts from there. */
  since?: number;
}

/** What became of a gated call: it ran now, or it did not (the approval says why). */
export type GateOutcome<T> = { status: 'ran'; approval: Approval; result: T } | { status: 'ran-before' | 'denied' | 'expired' | 'pending'; approval: Approval };

/** The tools, each asking the owner first when the policy names the call (no gate: as they are). */
export function gateTools(tools: Tool[], gate: ToolGate | undefined): Tool[] {
  return gate ? tools.map((t) => gatedTool(t, gate)) : tools;
}

/** A model's tool, asking first: the model reads the result after the approval, or why it did not run. */
export function gatedTool(tool: Tool, gate: ToolGate): Tool {
  const name = tool.spec.name;
  return {
    ...tool,
    async run(input, ctx) {
      const action = toolCallApproval(gate.policy, name, input, tool.readOnly);
      if (!action) return tool.run(input, ctx);
      const why = tool.refusal?.(input);
      if (why) throw new ToolRefusal(`refused: ${why}`);
      if (!ctx.serving) throw new ToolRefusal(`${describeAction(action)} needs the owner's approval, and this call serves no request or task to ask for; not run`);
      const call = { tool: name, action, input, serving: ctx.serving, ...(ctx.signal ? { signal: ctx.signal } : {}) };
      const outcome = await passGate(gate, call, () => tool.run(input, ctx), (text) => text);
      const words = outcomeWords(outcome, name, outcome.status === 'ran' ? outcome.result : '');
      if (outcome.status === 'ran' || outcome.status === 'ran-before') return words;
      throw new ToolRefusal(words);
    },
  };
}

/** What a network tool served over MCP asks with: the gate, and what its calls serve. */
export interface NetworkToolGate extends ToolGate {
  /** What a call serves: the request a headless run answers, or the MCP session. */
  serving(): Promise<Serving>;
  /** How long a call without a progress token waits before it returns pending (default UNPROGRESSED_WAIT_MS). */
  waitWithoutProgressMs?: number;
}

/**
 * A network tool as served over MCP, asking first: a call the policy names waits for the answer
 * (progress each second when the client sent a progress token; ended by the call's signal, which
 * leaves the request pending), then runs once. Not run (denied, expired, still pending), it is a
 * tool error whose text and `note` say so.
 */
export function gatedNetworkTool<C>(tool: NetworkTool<C>, gate: NetworkToolGate): NetworkTool<C> {
  return {
    ...tool,
    async run(input, ctx, call = {}) {
      const action = toolCallApproval(gate.policy, tool.name, input, tool.readOnly);
      if (!action) return tool.run(input, ctx, call);
      const waitMs = call.progress ? undefined : (gate.waitWithoutProgressMs ?? UNPROGRESSED_WAIT_MS);
      const gated: GatedCall = { ...call, tool: tool.name, action, input, serving: await gate.serving(), ...(waitMs !== undefined ? { waitMs } : {}) };
      const outcome = await passGate(gate, gated, () => tool.run(input, ctx, call), (r) => r.text);
      const text = outcomeWords(outcome, tool.name, outcome.status === 'ran' ? outcome.result.text : '');
      const approval = approvalBrief(outcome.approval);
      if (outcome.status !== 'ran') return { text, data: { note: text.split('\n')[0]!, status: outcome.status, approval }, ...(outcome.status === 'ran-before' ? {} : { isError: true }) };
      const note = `${text.split('\n')[0]!} ${outcome.result.text.split('\n')[0]!}`;
      return { text, data: { ...outcome.result.data, note, status: 'ran', approval } };
    },
  };
}

/** What an MCP result shows of the approval a call went through. */
const approvalBrief = (a: Approval) => ({
  id: a.id,
  code: a.code,
  status: a.status,
  expiresAt: a.expiresAt,
  ...(a.decidedBy ? { decidedBy: a.decidedBy, channel: a.channel, decidedAt: a.decidedAt } : {}),
  ...(a.ranAt ? { ranAt: a.ranAt } : {}),
});

/**
 * One gated call: asks once, waits for the answer (until it comes, the request expires,
 * `call.waitMs` passes, or `call.signal` aborts: then it rejects), and runs `run` once when
 * approved, recording `record` of its result with the approval.
 */
export async function passGate<T>(gate: ToolGate, call: GatedCall, run: () => Promise<T>, record: (result: T) => string): Promise<GateOutcome<T>> {
  const timed = { ...call, since: (gate.clock ?? systemClock).now() };
  const asked = await ask(gate, timed);
  const a = await answerOf(gate, asked, timed);
  if (a.status === 'approved') return runOnce(gate, a, timed, run, record);
  if (a.status === 'pending') return { status: Date.parse(a.expiresAt) <= (gate.clock ?? systemClock).now() ? 'expired' : 'pending', approval: a };
  return { status: a.status, approval: a };
}

/** The outcome in words, the same on both surfaces; `ran` is what the call gave when it ran now. */
export function outcomeWords(o: GateOutcome<unknown>, tool: string, ran: string): string {
  const a = o.approval;
  const code = `approval ${a.code}`;
  switch (o.status) {
    case 'ran':
      return `approved by ${a.decidedBy ?? 'the owner'} (${code}); it ran:\n${ran}`;
    case 'ran-before': {
      const then = (a.runOutcome ?? {}) as { result?: string; failed?: string };
      return `not run again: ${code} already ran at ${a.ranAt} (an approved call runs once); ${then.failed ? `it failed then: ${then.failed}` : `what it gave then:\n${then.result ?? '(not recorded)'}`}`;
    }
    case 'denied':
      return `not run: the owner denied it (${code}, by ${a.decidedBy ?? 'the owner'}${a.channel ? ` via ${a.channel}` : ''}); do not try it again for this request`;
    case 'expired':
      return `not run: ${code} expired at ${a.expiresAt} without the owner's answer`;
    case 'pending':
      return `not run yet: ${code} still waits for the owner's answer (expires ${a.expiresAt}); call ${tool} again with the same arguments to wait on (it is asked once)`;
  }
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

async function ask(gate: ToolGate, call: GatedCall): Promise<Approval> {
  const clock = gate.clock ?? systemClock;
  const { tool, serving, action } = call;
  const { approval, created } = await gate.approvals.request({
    agent: gate.agent,
    action,
    reason: serving.reason,
    ttlMs: Math.min(gate.policy.ttlMs, TOOL_APPROVAL_MAX_MS),
    actionKey: `${serving.id}:${tool}:${argumentsHash(call.input)}`,
    context: { serving: serving.id, tool },
    at: clock.now(),
  });
  const fields = { serving: serving.id, tool, approval: approval.id, code: approval.code, action: describeAction(action) };
  if (created) gate.logger.info(fields, "tool call waiting for the owner's yes");
  else gate.logger.info({ ...fields, status: approval.status }, 'tool call found its approval asked before');
  return approval;
}

/**
 * The approval once it is decided, its time is up or `call.waitMs` has passed (then still
 * `pending`), telling `call.progress` before each pause; rejects when `call.signal` aborts.
 */
async function answerOf(gate: ToolGate, asked: Approval, call: GatedCall): Promise<Approval> {
  const clock = gate.clock ?? systemClock;
  const signal = call.signal ?? new AbortController().signal;
  const start = call.since ?? clock.now();
  const until = Math.min(Date.parse(asked.expiresAt), call.waitMs === undefined ? Infinity : start + call.waitMs);
  for (let a = asked; ; ) {
    const left = until - clock.now();
    if (a.status !== 'pending' || left <= 0) return a;
    await call.progress?.(clock.now() - start, until - start, `waiting for the owner's answer to approval ${a.code}`);
    await clock.sleep(Math.min(TOOL_APPROVAL_POLL_MS, left), signal);
    a = (await gate.approvals.get(a.id)) ?? a;
  }
}

/**
 * The approved calls running now in this process, by approval id: the same call made again
 * meanwhile (a retry in the same MCP session) waits for it, then finds it ran, instead of running
 * it a second time. Approval ids are unique, so one map serves every gate.
 */
const running = new Map<string, Promise<unknown>>();

/** Runs an approved call once (after resume, when paused), or finds it ran already. */
async function runOnce<T>(gate: ToolGate, approved: Approval, call: GatedCall, run: () => Promise<T>, record: (result: T) => string): Promise<GateOutcome<T>> {
  while (running.has(approved.id)) {
    gate.logger.info({ approval: approved.id, code: approved.code }, 'the same approved tool call is running: waiting for it');
    await running.get(approved.id)!.catch(() => {});
  }
  const turn = runFresh(gate, approved, call, run, record);
  running.set(approved.id, turn);
  try {
    return await turn;
  } finally {
    running.delete(approved.id);
  }
}

/** Resolves when the network is not paused, telling `call.progress` each second meanwhile. */
async function resumed(gate: ToolGate, a: Approval, call: GatedCall): Promise<void> {
  if (!gate.untilResumed) return;
  const clock = gate.clock ?? systemClock;
  const start = call.since ?? clock.now();
  const progress = call.progress;
  const tick = progress && setInterval(() => void progress(clock.now() - start, undefined, `approval ${a.code} approved; waiting for the network to resume`), TOOL_APPROVAL_POLL_MS);
  try {
    await gate.untilResumed(call.signal ?? new AbortController().signal);
  } finally {
    clearInterval(tick);
  }
}

async function runFresh<T>(gate: ToolGate, approved: Approval, call: GatedCall, run: () => Promise<T>, record: (result: T) => string): Promise<GateOutcome<T>> {
  const clock = gate.clock ?? systemClock;
  const a = (await gate.approvals.get(approved.id)) ?? approved;
  if (a.ranAt) return { status: 'ran-before', approval: a };
  await resumed(gate, a, call);
  call.signal?.throwIfAborted(); // the caller is gone: the call stays approved, to run when made again
  gate.logger.info({ approval: a.id, code: a.code, action: describeAction(a.action) }, 'approved tool call running');
  const result = await runApproved(gate.approvals, a, run, (r) => ({ result: record(r).slice(0, 4000) }), () => clock.now());
  return { status: 'ran', approval: a, result };
}
