export { CLAIMS_NAMESPACE, DEFAULT_LEASE_MS, claimOf, claimRequest, releaseClaim } from './claims.ts';
export type { Claim, ClaimResult } from './claims.ts';
export { describeRequest, pendingRequests, priorityOf } from './inbox.ts';
export { createMcpServer } from './mcp-server.ts';
export type { McpOptions } from './mcp-server.ts';
