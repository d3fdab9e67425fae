/** Builds the tools an agent's config grants it. Nothing is granted by default. */
import type { Bridge } from '../../bridge/index.ts';
import type { Config, ResolvedAgent } from '../../config/index.ts';
import type { Logger } from '../../log/logger.ts';
import { bridgeReplyTool, bridgeSendTool } from './bridge-tools.ts';
import { httpGetTool } from './http-get.ts';
import { runCommandTool } from './run-command.ts';
import { memoryGetTool, memorySetTool, taskEnqueueTool } from './store-tools.ts';
import type { Store } from '../../store/index.ts';
import type { Tool } from './tool.ts';

export const STORE_TOOLS = ['memory_get', 'memory_set', 'task_enqueue'];

/** Whether an agent needs the store open (it is granted a tool that uses it). */
export const needsStore = (agent: ResolvedAgent) => agent.tools.some((t) => typeof t === 'string' && STORE_TOOLS.includes(t));

export function grantedTools(agent: ResolvedAgent, config: Config, bridge: Bridge, logger: Logger, store?: Store): Tool[] {
  const others = Object.keys(config.agents).filter((n) => n !== agent.name);
  const tools: Tool[] = [];
  for (const grant of agent.tools) {
    const name = typeof grant === 'string' ? grant : grant.name;
    if (grant === 'bridge_send') tools.push(bridgeSendTool(bridge, agent.name, others));
    else if (grant === 'bridge_reply') tools.push(bridgeReplyTool(bridge, agent.name));
    else if (typeof grant === 'object' && grant.name === 'run_command') tools.push(runCommandTool(grant));
    else if (typeof grant === 'object' && grant.name === 'http_get') tools.push(httpGetTool(grant.hosts));
    else if (store && grant === 'memory_get') tools.push(memoryGetTool(store));
    else if (store && grant === 'memory_set') tools.push(memorySetTool(store, agent.name));
    else if (store && grant === 'task_enqueue') tools.push(taskEnqueueTool(store));
    else logger.warn({ tool: name }, 'tool not offered: the store is not open');
  }
  return tools;
}

export type { Tool, ToolContext } from './tool.ts';
export { ToolRefusal } from './tool.ts';
