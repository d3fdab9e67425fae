/**
 * Maps a config's model provider to its factory; providers with SDKs load lazily. A provider that
 * lives above models/ (claude-code, the orchestrator's headless Claude Code) is given by the caller.
 */
import type { Config, ModelConfig } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import { AgentnetError } from '../errors.ts';
import type { Model } from './model.ts';
import { createOfflineModel } from './offline.ts';

export interface ModelDeps {
  agent: string;
  /** Where the offline model escalates work (absent on the orchestrator itself). */
  orchestrator?: string;
  networkStatus: () => Promise<string>;
  /** The whole network (claude-code attaches its MCP server and reads the agent's grants). */
  network?: Config;
  logger?: Logger;
  /** Dollars left today under the agent's cost budget, if it has one. */
  costLeftUsd?: () => number | undefined;
}

/** A model provider given by the caller, by provider name (`claude-code`). */
export type ModelProvider = (config: ModelConfig, deps: ModelDeps) => Promise<Model>;

/** The providers with an SDK: each loads only for the agents that use it. */
const SDK_MODELS = {
  anthropic: async () => (await import('./anthropic.ts')).createAnthropicModel,
  openai: async () => (await import('./openai.ts')).createOpenAIModel,
};

/**
 * Loads (compiles) the code of a model provider without creating the model. An agent does it
 * before it opens its health port: compiling an SDK blocks the event loop for a tenth of a second.
 */
export async function loadModelCode(config: ModelConfig): Promise<void> {
  if (Object.hasOwn(SDK_MODELS, config.provider)) await SDK_MODELS[config.provider as keyof typeof SDK_MODELS]();
}

export async function createModel(config: ModelConfig, deps: ModelDeps, providers: Readonly<Record<string, ModelProvider>> = {}): Promise<Model> {
  const provided = Object.hasOwn(providers, config.provider) ? providers[config.provider] : undefined;
  if (provided) return provided(config, deps);
  switch (config.provider) {
    case 'offline':
      return createOfflineModel({ agent: deps.agent, networkStatus: deps.networkStatus, ...(deps.orchestrator ? { orchestrator: deps.orchestrator } : {}) });
    case 'anthropic':
    case 'openai':
      return (await SDK_MODELS[config.provider]())(config);
    default:
      throw new AgentnetError(
        'MODEL_UNAVAILABLE',
        `agent ${deps.agent}: the "${config.provider}" model provider is not in this version of agentnet yet; use model: offline`,
      );
  }
}
