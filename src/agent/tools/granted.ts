/** The tools an agent's config grants it. Nothing is granted by default. */
import type { Bridge } from '../../bridge/index.ts';
import type { Config, ResolvedAgent } from '../../config/index.ts';
import type { Logger } from '../../log/logger.ts';
import { bridgeReplyTool, bridgeSendTool } from './bridge-tools.ts';
import { gateTools, type ToolGate } from './gated.ts';
import { httpGetTool } from './http-get.ts';
import { runCommandTool } from './run-command.ts';
import { asModelTool } from './network-tool.ts';
import { memoryGet, memorySet, taskEnqueue } from './store-tools.ts';
import type { Store } from '../../store/index.ts';
import type { Tool } from './tool.ts';

export const STORE_TOOLS = ['memory_get', 'memory_set', 'task_enqueue'];

/** Whether an agent needs the store open (it is granted a tool that uses it). */
export const needsStore = (agent: ResolvedAgent) => agent.tools.some((t) => typeof t === 'string' && STORE_TOOLS.includes(t));

/** What a gated call waits on besides the store: the network's PAUSE, the clock. */
export type GateOptions = Pick<ToolGate, 'untilResumed' | 'clock'>;

/** The tools the agent's config grants it; under an `approve:` policy, a call it names asks the owner first (gated.ts). */
export function grantedTools(agent: ResolvedAgent, config: Config, bridge: Bridge, logger: Logger, store?: Store, gate: GateOptions = {}): Tool[] {
  const self = agent.name;
  const tools: Tool[] = [];
  for (const grant of agent.tools) {
    const name = typeof grant === 'string' ? grant : grant.name;
    if (grant === 'bridge_send') tools.push(bridgeSendTool(bridge, self, Object.keys(config.agents)));
    else if (grant === 'bridge_reply') tools.push(bridgeReplyTool(bridge, self));
    else if (typeof grant === 'object' && grant.name === 'run_command') tools.push(runCommandTool(grant));
    else if (typeof grant === 'object' && grant.name === 'http_get') tools.push(httpGetTool(grant.hosts));
    else if (store && grant === 'memory_get') tools.push(asModelTool(memoryGet, { self, memory: store.memory }));
    else if (store && grant === 'memory_set') tools.push(asModelTool(memorySet, { self, memory: store.memory }));
    else if (store && grant === 'task_enqueue') tools.push(asModelTool(taskEnqueue, { queue: store.queue }));
    // MCP only (a headless Claude Code run): a model in the tool loop would hold up its agent while the owner answers.
    else if (grant === 'request_approval') continue;
    else logger.warn({ tool: name }, 'tool not offered: the store is not open');
  }
  if (!agent.approve) return tools;
  if (!store) {
    logger.warn({}, 'no tools offered: the approve: policy keeps its requests in the store, which is not open');
    return [];
  }
  return gateTools(tools, { agent: agent.name, policy: agent.approve, approvals: store.approvals, logger, ...gate });
}
