/**
 * The names of the `agentnet mcp` tools, and which of them a headless Claude Code run of an
 * agent may use: what the agent's `tools:` grants, plus network_status and task_status. The run never gets
 * the inbox, claim or reply tools: the runner claims the request and sends the answer itself.
 */
import type { ResolvedAgent } from '../config/index.ts';

export const MCP_TOOL_NAMES = [
  'bridge_inbox',
  'bridge_claim',
  'bridge_reply',
  'bridge_send',
  'task_enqueue',
  'task_status',
  'memory_get',
  'memory_set',
  'memory_list',
  'network_status',
  'request_approval',
  'approval_status',
] as const;
export type McpToolName = (typeof MCP_TOOL_NAMES)[number];

/** The tools that only read: safe to run again when a failed run is retried. */
export const READ_ONLY_MCP_TOOLS: ReadonlySet<McpToolName> = new Set(['bridge_inbox', 'task_status', 'memory_get', 'memory_list', 'network_status', 'approval_status']);

const GRANTS: Partial<Record<string, McpToolName[]>> = {
  bridge_send: ['bridge_send'],
  task_enqueue: ['task_enqueue'],
  memory_get: ['memory_get', 'memory_list'],
  memory_set: ['memory_set'],
  request_approval: ['request_approval', 'approval_status'],
};

/** The MCP tools a headless run of `agent` may call. */
export function headlessMcpTools(agent: ResolvedAgent): McpToolName[] {
  const granted = new Set<McpToolName>(['network_status', 'task_status']);
  for (const t of agent.tools) for (const name of GRANTS[typeof t === 'string' ? t : t.name] ?? []) granted.add(name);
  return MCP_TOOL_NAMES.filter((n) => granted.has(n));
}

/** Claude Code's name for an MCP tool of the server registered as `server`. */
export const mcpToolId = (server: string, tool: string) => `mcp__${server}__${tool}`;
