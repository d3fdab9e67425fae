/** Counters an agent keeps about itself; /health and /metrics read them. */

export interface AgentStats {
  agent: string;
  role: string;
  startedAt: number;
  lastActivity: number | null;
  /** Messages handled, by bridge message type. */
  processed: Record<string, number>;
  /** Tasks finished (autonomous agents), by kind and outcome: `deploy success`. */
  tasks: Record<string, number>;
  modelCalls: Record<'ok' | 'error', number>;
  tokens: { input: number; output: number };
  errors: Record<string, number>;
  /** Seconds between a message's time and when this agent took it, last seen. */
  bridgeLagSeconds: number;
  paused: boolean;
  /** Times observed since /metrics last read them (its histograms take them then): `reply` or a TimedHop, and seconds. */
  timings: Array<[Timed, number]>;
}

/** The hops /metrics times: the relay's acknowledgement, the wait on the bridge, a model call, the send to the provider. */
export const TIMED_HOPS = ['relay_ack', 'bridge_wait', 'model', 'send'] as const;
export type TimedHop = (typeof TIMED_HOPS)[number];
/** A hop, or `reply`: an owner's message end to end. */
export type Timed = TimedHop | 'reply';

/** Times kept for a /metrics nobody reads; beyond, the oldest are forgotten. */
const MAX_TIMINGS = 20_000;

/** Times one hop of a request, or (`reply`) a request end to end; /metrics shows them as histograms. */
export function observe(stats: AgentStats, what: Timed, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) return;
  if (stats.timings.length >= MAX_TIMINGS) stats.timings.splice(0, MAX_TIMINGS / 2);
  stats.timings.push([what, seconds]);
}

export function createStats(agent: string, role: string): AgentStats {
  return {
    agent,
    role,
    startedAt: Date.now(),
    lastActivity: null,
    processed: {},
    tasks: {},
    modelCalls: { ok: 0, error: 0 },
    tokens: { input: 0, output: 0 },
    errors: {},
    bridgeLagSeconds: 0,
    paused: false,
    timings: [],
  };
}

export const totalProcessed = (s: AgentStats) => Object.values(s.processed).reduce((a, b) => a + b, 0);
