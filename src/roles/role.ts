/** The contract between the agent runtime and a role (orchestrator, relay, autonomous). */
import type { Bridge, BridgeMessage } from '../bridge/index.ts';
import type { Config, ResolvedAgent } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Model } from '../models/model.ts';
import type { AgentStats } from '../agent/stats.ts';
import type { Tool } from '../agent/tools/tool.ts';

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
}

export interface Role {
  /** Whether this role handles the message now; one it does not stays pending for whoever will. */
  accepts(message: BridgeMessage): boolean;
  /** Handles one message; the runtime marks it done after this resolves. */
  handle(message: BridgeMessage, signal: AbortSignal): Promise<void>;
}
