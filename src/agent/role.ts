/** The contract between the agent runtime and a role (orchestrator, relay, autonomous). */
import type { Bridge, BridgeMessage } from '../bridge/index.ts';
import type { Config, ResolvedAgent } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Model } from '../models/model.ts';
import type { AgentStats } from './stats.ts';
import type { Tool } from './tools/tool.ts';
import type { Store } from '../store/index.ts';
import type { Clock } from './clock.ts';
import type { Tracer } from './tracer.ts';

export interface RoleContext {
  agent: ResolvedAgent;
  config: Config;
  bridge: Bridge;
  model: Model;
  logger: Logger;
  /** The agent's system prompt. */
  prompt: string;
  stats: AgentStats;
  /** The tools the config grants this agent. */
  tools: Tool[];
  /** The store, when the agent has one open (autonomous agents always do). */
  store?: Store;
  /** The network-wide PAUSE. */
  pause: { paused(): boolean; untilResumed(signal: AbortSignal): Promise<void> };
  /** Removes secrets from text that leaves the agent. */
  redact: (text: string) => string;
  clock?: Clock;
  /** Asks the runtime to stop the agent for good (exit 0, not restarted): `shutdown all`. */
  requestShutdown?: (reason: string) => void;
  /** The agent's health problems (/health says degraded while any is set). */
  problems?: Set<string>;
  /** Records the hops of the requests the role works on (`agentnet trace`). */
  tracer?: Tracer;
}

export interface Revisit {
  /** Epoch milliseconds. */
  revisitAt: number;
}

export interface Role {
  /** Whether this role handles the message now; one it does not stays pending for whoever will. */
  accepts(message: BridgeMessage): boolean;
  /**
   * Handles one message; the runtime marks it done after this resolves, unless it resolves
   * `{ revisitAt }`: someone else (a Claude Code session that claimed the request) has it for
   * now; the runtime offers it again at that time if it is still pending (a claim that lapsed).
   */
  handle(message: BridgeMessage, signal: AbortSignal): Promise<void | Revisit>;
  /** Background work of the role (schedules, a task worker), started once the agent is up. */
  start?(): Promise<void>;
  /** Stops the background work: running work gets `graceMs` to finish, then is released. */
  stop?(graceMs: number): Promise<void>;
  /** Extra fields for /health. */
  health?(): Record<string, unknown>;
}
