/**
 * Logging: one JSON object per line (`ts`, `level`, `agent`, `event`, ...), secrets redacted.
 * Base layer: read by every folder; imports nothing of agentnet's.
 */
export { createCliLogger, createMemoryLogger, silentLogger } from './logger.ts';
export type { Logger, LogLevel } from './logger.ts';
export { createAgentLogger } from './agent-logger.ts';
export type { AgentLogger, AgentLoggerOptions } from './agent-logger.ts';
export { createRedactor, redactDeep } from './redact.ts';
export type { Redactor } from './redact.ts';
