/**
 * The config: one zod schema, parsed once into a frozen typed object, errors that name the
 * file and the path; `agentnet init`'s seed network and prompts. Base layer: read by every
 * folder; imports nothing of agentnet's but errors.ts.
 */
export { configSchema, DEFAULT_APPROVAL_TTL_MS, ROLES, TASK_KINDS } from './schema.ts';
export type { AgentConfig, ApprovalPolicy, ChannelConfig, ModelConfig, ParsedConfig } from './schema.ts';
export { envReferences } from './env.ts';
export { agentsOfThisHost, CONFIG_FILE_NAME, findConfigFile, loadConfig, parseConfig } from './load.ts';
export type { Config, ConfigRule, LoadedConfig, LoadOptions, ResolvedAgent, RuleProblem } from './load.ts';
export { ConfigError } from './errors.ts';
export type { ConfigProblem } from './errors.ts';
export { collectSecrets, maskSecrets, MASK } from './mask.ts';
export { initNetwork, seedConfigYaml } from './init.ts';
export { renderPrompt, PROMPTS } from './prompts.ts';
export { bridgeSpec, storeSpec, storeIsLocalFile } from './specs.ts';
export type { BridgeOpenSpec, StoreOpenSpec } from './specs.ts';
