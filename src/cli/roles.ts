/**
 * Role name -> role, and the model providers that live with a role: what `agentnet run` plugs
 * into the agent runtime, which knows none of them. Every role answers requests addressed to it;
 * the autonomous one also works the task queue, the relay owns a chat channel. A role's module
 * is imported only by an agent that has it: an orchestrator does not load the relay's channels
 * or the scheduler.
 */
import type { Role, RoleContext } from '../agent/role.ts';
import type { ResolvedAgent } from '../config/index.ts';
import { startAgent as startAgentWith, type RunningAgent, type StartAgentOptions } from '../agent/runtime.ts';
import { AgentnetError } from '../errors.ts';
import type { ModelProvider } from '../models/registry.ts';

const ROLE_CODE = {
  orchestrator: () => import('../orchestrator/role.ts'),
  autonomous: () => Promise.all([import('../tasks/role.ts'), import('../relay/alerts.ts')]),
  relay: () => import('../relay/role.ts'),
};
const claudeCodeModel = () => import('../orchestrator/claude-code.ts');

export async function createRole(ctx: RoleContext): Promise<Role> {
  switch (ctx.agent.role) {
    case 'orchestrator':
      return (await ROLE_CODE.orchestrator()).createOrchestratorRole(ctx);
    case 'autonomous': {
      // The autonomous agent's alerts go out through the relay's channel directly.
      const [{ createAutonomousRole }, { createAlerter }] = await ROLE_CODE.autonomous();
      return createAutonomousRole(ctx, createAlerter({ config: ctx.config, agent: ctx.agent.name, bridge: ctx.bridge, logger: ctx.logger }));
    }
    case 'relay':
      return (await ROLE_CODE.relay()).createRelayRole(ctx);
  }
}

/** Loads the code of an agent's role, its Telegram channel and claude-code (when it has them) without running it. */
async function loadRoleCode(agent: ResolvedAgent): Promise<void> {
  await Promise.all([
    ROLE_CODE[agent.role](),
    agent.model.provider === 'claude-code' ? claudeCodeModel() : undefined,
    agent.role === 'relay' && agent.channel?.type === 'telegram' ? import('../channels/index.ts').then((c) => c.loadGrammy()) : undefined,
  ]);
}

/** `model: claude-code`: the orchestrator's headless Claude Code (orchestrator/claude-code.ts), loaded only when used. */
export const MODEL_PROVIDERS: Readonly<Record<string, ModelProvider>> = {
  async 'claude-code'(config, deps) {
    if (!deps.network) throw new AgentnetError('MODEL_UNAVAILABLE', `agent ${deps.agent}: claude-code needs the network's config`);
    const { createClaudeCodeModel } = await claudeCodeModel();
    return createClaudeCodeModel(config, {
      agent: deps.agent,
      network: deps.network,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.costLeftUsd ? { costLeftUsd: deps.costLeftUsd } : {}),
    });
  },
};

/** Starts an agent with agentnet's built-in roles and model providers plugged in. */
export function startAgent(options: Omit<StartAgentOptions, 'createRole' | 'loadCode' | 'modelProviders'>): Promise<RunningAgent> {
  return startAgentWith({ ...options, createRole, loadCode: loadRoleCode, modelProviders: MODEL_PROVIDERS });
}

export type { RunningAgent } from '../agent/runtime.ts';
