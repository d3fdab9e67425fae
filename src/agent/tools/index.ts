/** Builds the tools an agent's config grants it. Nothing is granted by default. */
import type { Bridge } from '../../bridge/index.ts';
import type { Config, ResolvedAgent } from '../../config/index.ts';
import type { Logger } from '../../log/logger.ts';
import { bridgeReplyTool, bridgeSendTool } from './bridge-tools.ts';
import { httpGetTool } from './http-get.ts';
import { runCommandTool } from './run-command.ts';
import type { Tool } from './tool.ts';

export function grantedTools(agent: ResolvedAgent, config: Config, bridge: Bridge, logger: Logger): Tool[] {
  const others = Object.keys(config.agents).filter((n) => n !== agent.name);
  const tools: Tool[] = [];
  for (const grant of agent.tools) {
    const name = typeof grant === 'string' ? grant : grant.name;
    if (grant === 'bridge_send') tools.push(bridgeSendTool(bridge, agent.name, others));
    else if (grant === 'bridge_reply') tools.push(bridgeReplyTool(bridge, agent.name));
    else if (typeof grant === 'object' && grant.name === 'run_command') tools.push(runCommandTool(grant));
    else if (typeof grant === 'object' && grant.name === 'http_get') tools.push(httpGetTool(grant.hosts));
    else logger.warn({ tool: name }, 'tool needs the store, which this version does not have yet; not offered');
  }
  return tools;
}

export type { Tool, ToolContext } from './tool.ts';
export { ToolRefusal } from './tool.ts';
