/**
 * The agent: one process's runtime (PAUSE, /health and /metrics, logs, graceful stop) and its
 * message loop (the bridge subscription, one message at a time), the Role contract it is
 * handed a role through, the answer role every role builds on, the tools (each network tool
 * defined once for the model and MCP surfaces) and the tool loop (tools/), routing (who a
 * message is for), the health probe and watch of other agents, the network's status. Imports
 * bridge/, store/, channels/, models/, pg/ and the base; never a role (relay/, tasks/,
 * orchestrator/), ops/ or cli/.
 */
export { agentLogFile, startAgent } from './runtime.ts';
export type { RunningAgent, StartAgentOptions } from './runtime.ts';
export type { Revisit, Role, RoleContext } from './role.ts';
export { conversationOf, createAnswerRole, untrusted } from './answer.ts';
export type { AnswerRoleOptions, SharedRequests } from './answer.ts';
export { firstWithRole, recipientOf } from './routing.ts';
export { systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { healthUrl, probe } from './health-probe.ts';
export { checkAgents, MONITOR_NAMESPACE } from './health-watch.ts';
export type { Alerter, MonitorRecord, WatchContext } from './health-watch.ts';
export { startHealthServer } from './health.ts';
export type { HealthReport, HealthStatus, ModelUsage } from './health.ts';
export { ago, collectStatus, formatStatusShort, forPerson } from './network-status.ts';
export type { AgentStatus, NetworkStatus } from './network-status.ts';
export { pauseEverywhere, pauseNetwork, readNetworkPause, readPause, resumeEverywhere, resumeNetwork } from './pause.ts';
export type { PauseState } from './pause.ts';
export type { AgentStats } from './stats.ts';
export { grantedTools, needsStore, ToolRefusal } from './tools/index.ts';
export { commandAction, needsApproval } from './approvals.ts';
export type { GatedAction } from './approvals.ts';
export type { Tool, ToolContext } from './tools/index.ts';
export { asModelTool, bridgeSend, memoryGet, memoryList, memorySet, networkTool, said, shown, taskEnqueue, taskStatus } from './tools/index.ts';
export type { BridgeToolContext, MemoryToolContext, NetworkTool, QueueToolContext, ToolResult } from './tools/index.ts';
export { MessageLoop } from './message-loop.ts';
export type { MessageLoopOptions } from './message-loop.ts';
