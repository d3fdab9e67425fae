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
  };
}

export const totalProcessed = (s: AgentStats) => Object.values(s.processed).reduce((a, b) => a + b, 0);
