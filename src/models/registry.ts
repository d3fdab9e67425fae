/** Maps a config's model provider to its factory; providers with SDKs load lazily. */
import type { ModelConfig } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import type { Model } from './model.ts';
import { createOfflineModel } from './offline.ts';

export interface ModelDeps {
  agent: string;
  /** Where the offline model escalates work (absent on the orchestrator itself). */
  orchestrator?: string;
  networkStatus: () => Promise<string>;
}

export async function createModel(config: ModelConfig, deps: ModelDeps): Promise<Model> {
  switch (config.provider) {
    case 'offline':
      return createOfflineModel({ agent: deps.agent, networkStatus: deps.networkStatus, ...(deps.orchestrator ? { orchestrator: deps.orchestrator } : {}) });
    // SDKs load only for the agents that use them.
    case 'anthropic':
      return (await import('./anthropic.ts')).createAnthropicModel(config);
    case 'openai':
      return (await import('./openai.ts')).createOpenAIModel(config);
    default:
      throw new AgentnetError(
        'MODEL_UNAVAILABLE',
        `agent ${deps.agent}: the "${config.provider}" model provider is not in this version of agentnet yet; use model: offline`,
      );
  }
}
