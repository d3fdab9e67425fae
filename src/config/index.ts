export { configSchema, ROLES, TASK_KINDS, TOOL_NAMES } from './schema.ts';
export type { AgentConfig, BridgeConfig, ChannelConfig, ConfigInput, ModelConfig, ParsedConfig } from './schema.ts';
export { CONFIG_FILE_NAME, findConfigFile, loadConfig, parseConfig } from './load.ts';
export type { Config, LoadedConfig, LoadOptions, ResolvedAgent } from './load.ts';
export { ConfigError } from './errors.ts';
export type { ConfigProblem } from './errors.ts';
export { collectSecrets, maskSecrets, MASK } from './mask.ts';
export { initNetwork, seedConfigYaml } from './init.ts';
export { renderPrompt, PROMPTS } from './prompts.ts';
