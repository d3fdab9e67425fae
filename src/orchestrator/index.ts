/**
 * The orchestrator role (answer + claims, role.ts), the MCP server that lets Claude Code act on
 * the network, headless Claude Code (the claude-code model: runner, sessions), the SessionStart
 * hook and the Claude Code settings it installs. Imports agent/ and the layers below it; never
 * relay/ or tasks/.
 */
export { CLAIMS_NAMESPACE, DEFAULT_LEASE_MS, claimOf, claimRequest, releaseClaim } from './claims.ts';
export type { Claim, ClaimResult } from './claims.ts';
export { describeRequest, pendingRequests, priorityOf } from './inbox.ts';
export { CHANNEL_NOTIFICATION, createMcpServer, pushRequests } from './mcp-server.ts';
export { headlessMcpTools, MCP_TOOL_NAMES, mcpToolId } from './mcp-tools.ts';
export { bridgeAnswer, bridgeClaim, bridgeInbox } from './inbox-tools.ts';
export type { InboxToolContext } from './inbox-tools.ts';
export { networkStatus } from './network-status-tool.ts';
export type { NetworkStatusContext } from './network-status-tool.ts';
export type { McpOptions } from './mcp-server.ts';
