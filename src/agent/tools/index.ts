/** The tools agents use: each defined once (network-tool.ts), granted per agent (granted.ts), gated by the owner's approval (gated.ts). */
export { grantedTools, needsStore, STORE_TOOLS, type GateOptions } from './granted.ts';
export type { Serving, Tool, ToolContext } from './tool.ts';
export { argumentsHash, gatedNetworkTool, gatedTool, gateTools, quoted, TOOL_APPROVAL_MAX_MS, TOOL_APPROVAL_POLL_MS, UNPROGRESSED_WAIT_MS } from './gated.ts';
export type { NetworkToolGate, ToolGate } from './gated.ts';
export { ToolRefusal } from './tool.ts';
export { asModelTool, networkTool, said, shown } from './network-tool.ts';
export type { NetworkTool, ToolCall, ToolResult } from './network-tool.ts';
export { approvalStatus, requestApproval } from './approval-tools.ts';
export type { ApprovalToolContext } from './approval-tools.ts';
export { bridgeSend } from './bridge-tools.ts';
export type { BridgeToolContext } from './bridge-tools.ts';
export { memoryGet, memoryList, memorySet, taskEnqueue, taskStatus } from './store-tools.ts';
export type { MemoryToolContext, QueueToolContext } from './store-tools.ts';
