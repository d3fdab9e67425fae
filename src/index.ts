/** agentnet's public API: explicit names only, so adding a symbol is a decision. */
export { AgentnetError, ERROR_CODES, isAgentnetError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export type { Logger, LogLevel } from './log/logger.ts';
export { createCliLogger, silentLogger } from './log/logger.ts';
export { ConfigError, configSchema, findConfigFile, initNetwork, loadConfig, maskSecrets, parseConfig } from './config/index.ts';
export type { AgentConfig, Config, ConfigProblem, LoadedConfig, ResolvedAgent } from './config/index.ts';
export { buildMessage, createJsonlBridge, matchesFilter, openBridge, parseLine } from './bridge/index.ts';
export type {
  Bridge,
  BridgeMessage,
  BridgeSpec,
  Cursor,
  ListOptions,
  MessageFilter,
  MessageHandler,
  NewMessage,
  RotateResult,
  SubscribeOptions,
  Subscription,
} from './bridge/index.ts';
