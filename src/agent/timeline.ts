/**
 * A trace read back: its hops in time order, the time each took, and where it stopped when it
 * has not reached its end: each hop that starts something (a request appended, a reply queued,
 * a model call) expects the hop that ends it, and the latest one still waiting is where the
 * trace stands. `agentnet trace` and the dashboard show the same timeline.
 */
import { isTraceId, traceOf, type Bridge } from '../bridge/index.ts';
import type { TraceHop, Traces } from '../store/index.ts';
import { appendHop, type RoleOf } from './traced.ts';
import { HOPS } from './tracer.ts';

export interface TimelineHop extends TraceHop {
  /** ms from the trace's first hop. */
  sinceStartMs: number;
  /** ms from the hop before: the time this hop took. */
  tookMs: number;
}

/** Something the trace still waits for: what started it, and what it waits for, in words. */
export interface OpenHop {
  hop: string;
  ref: string;
  agent: string;
  at: number;
  waiting: string;
  /** How long it has waited, ms. */
  forMs: number;
}

export interface Timeline {
  trace: string;
  startedAt: number;
  /** From the first hop to the last. */
  totalMs: number;
  /** Nothing started in it waits any more. */
  complete: boolean;
  /** Where it stopped: the latest of `open`. */
  stopped?: OpenHop;
  open: OpenHop[];
  hops: TimelineHop[];
}

interface Expectation {
  opener: TraceHop;
  done(h: TraceHop): boolean;
  waiting(): string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** What a hop starts and which later hop ends it; none for a hop that ends something or stands alone. */
function expectationOf(h: TraceHop, all: readonly TraceHop[], agents: ReadonlySet<string>): Expectation | undefined {
  const after = (name: string, match: (x: TraceHop) => boolean) => all.find((x) => x.hop === name && match(x));
  switch (h.hop) {
    case 'received':
      return { opener: h, done: (x) => (x.hop === 'handled' || x.hop === 'refused') && x.ref === h.ref, waiting: () => `${h.agent} has not finished with message ${h.ref} (a restart handles it again)` };
    case 'escalated':
    case 'requested': {
      const to = str(h.detail?.to) ?? 'its addressee';
      return {
        opener: h,
        done: (x) => x.hop === 'answered' && x.detail?.replyTo === h.ref,
        waiting: () => {
          const taken = after('claimed', (x) => x.ref === h.ref);
          return taken ? `${taken.agent} took request ${h.ref} but has not answered it` : `request ${h.ref} waits for ${to} to take it (is ${to} running? agentnet status)`;
        },
      };
    }
    case 'answered':
    case 'notified': {
      const to = str(h.detail?.to);
      // To a person (agentnet inbox), routed by role, or appended done (an alert its relay delivered): nobody to wait for.
      if (!to || !agents.has(to) || h.detail?.done === 1) return undefined;
      return { opener: h, done: (x) => x.hop === 'claimed' && x.ref === h.ref, waiting: () => `${h.hop === 'answered' ? 'response' : 'notification'} ${h.ref} waits for ${to} to take it (is ${to} running? agentnet status)` };
    }
    case 'queued':
    case 'acknowledged':
      return { opener: h, done: (x) => x.hop === 'sent' && x.detail?.key === h.ref && x.agent === h.agent, waiting: () => `reply ${h.ref} waits in ${h.agent}'s outbox (can ${h.agent} reach its provider? agentnet status)` };
    case 'model-started':
      return { opener: h, done: (x) => (x.hop === 'model-finished' || x.hop === 'model-failed') && x.ref === h.ref, waiting: () => `${h.agent}'s model call ${h.ref} has not finished` };
    case 'task-enqueued':
      return {
        opener: h,
        done: (x) => x.hop === 'task-finished' && x.ref.startsWith(`${h.ref}#`) && x.detail?.final === 1,
        waiting: () => {
          const started = all.findLast((x) => x.hop === 'task-started' && x.ref.startsWith(`${h.ref}#`));
          return started ? `task ${h.ref} is running on ${started.agent} (attempt ${started.detail?.attempt ?? '?'}) or waits to be tried again` : `task ${h.ref} waits on the queue for a worker (is the autonomous agent running?)`;
        },
      };
    default:
      return undefined;
  }
}

const RANK = new Map<string, number>(Object.keys(HOPS).map((h, i) => [h, i]));
const rank = (hop: string) => RANK.get(hop) ?? RANK.size;

/** The timeline of a trace's hops (as the store gives them: by time, then as recorded); `agents` are the network's. */
export function buildTimeline(trace: string, stored: readonly TraceHop[], agents: ReadonlySet<string>, now = Date.now()): Timeline {
  // Hops of one millisecond in the order a request passes them (a stable sort keeps the rest as recorded).
  const hops = [...stored].sort((a, b) => a.at - b.at || rank(a.hop) - rank(b.hop));
  const start = hops[0]?.at ?? now;
  const timed = hops.map((h, i) => ({ ...h, sinceStartMs: h.at - start, tookMs: i === 0 ? 0 : h.at - hops[i - 1]!.at }));
  const open: OpenHop[] = [];
  for (const h of hops) {
    const e = expectationOf(h, hops, agents);
    if (!e || hops.some((x) => e.done(x))) continue;
    open.push({ hop: h.hop, ref: h.ref, agent: h.agent, at: h.at, waiting: e.waiting(), forMs: now - h.at });
  }
  const last = hops[hops.length - 1];
  return {
    trace,
    startedAt: start,
    totalMs: last ? last.at - start : 0,
    complete: open.length === 0,
    ...(open.length ? { stopped: open[open.length - 1]! } : {}),
    open,
    hops: timed,
  };
}

/**
 * The trace `id` names: a trace id, or the id of anything in one (a message, a ledger key, a task,
 * a provider's message id); a message on the bridge that no agent took yet (a seed writer's)
 * shows as its append alone. Undefined when nothing has that id.
 */
export async function findTrace(id: string, traces: Traces, bridge?: Bridge, roleOf: RoleOf = () => undefined): Promise<{ trace: string; hops: TraceHop[] } | undefined> {
  if (isTraceId(id)) {
    const hops = await traces.hops(id);
    if (hops.length) return { trace: id, hops };
  }
  const trace = await traces.traceOf(id);
  if (trace) return { trace, hops: await traces.hops(trace) };
  const msg = await bridge?.get(id);
  if (!msg) return undefined;
  const t = traceOf(msg);
  const hops = await traces.hops(t);
  if (hops.length) return { trace: t, hops };
  const at = Date.parse(msg.ts);
  const detail = { ...(msg.to ? { to: msg.to } : {}), ...(msg.replyTo ? { replyTo: msg.replyTo } : {}) };
  return { trace: t, hops: [{ trace: t, hop: appendHop(msg.type, roleOf(msg.from)), ref: msg.id, agent: msg.from, at: Number.isNaN(at) ? Date.now() : at, detail }] };
}
