/**
 * Role name -> role, and the model providers that live with a role: what `agentnet run` plugs
 * into the agent runtime, which knows none of them. Every role answers requests addressed to it;
 * the autonomous one also works the task queue, the relay owns a chat channel. A role's module
 * is imported only by an agent that has it: an orchestrator does not load the relay's channels
 * or the scheduler.
 */
import type { Role, RoleContext } from '../agent/role.ts';
import { startAgent as startAgentWith, type RunningAgent, type StartAgentOptions } from '../agent/runtime.ts';
import { AgentnetError } from '../errors.ts';
import type { ModelProvider } from '../models/registry.ts';

export async function createRole(ctx: RoleContext): Promise<Role> {
  switch (ctx.agent.role) {
    case 'orchestrator':
      return (await import('../orchestrator/role.ts')).createOrchestratorRole(ctx);
    case 'autonomous': {
      // The autonomous agent's alerts go out through the relay's channel directly.
      const [{ createAutonomousRole }, { createAlerter }] = await Promise.all([import('../tasks/role.ts'), import('../relay/alerts.ts')]);
      return createAutonomousRole(ctx, createAlerter({ config: ctx.config, agent: ctx.agent.name, bridge: ctx.bridge, logger: ctx.logger }));
    }
    case 'relay':
      return (await import('../relay/role.ts')).createRelayRole(ctx);
  }
}

/** `model: claude-code`: the orchestrator's headless Claude Code (orchestrator/claude-code.ts), loaded only when used. */
export const MODEL_PROVIDERS: Readonly<Record<string, ModelProvider>> = {
  async 'claude-code'(config, deps) {
    if (!deps.network) throw new AgentnetError('MODEL_UNAVAILABLE', `agent ${deps.agent}: claude-code needs the network's config`);
    const { createClaudeCodeModel } = await import('../orchestrator/claude-code.ts');
    return createClaudeCodeModel(config, {
      agent: deps.agent,
      network: deps.network,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.costLeftUsd ? { costLeftUsd: deps.costLeftUsd } : {}),
    });
  },
};

/** Starts an agent with agentnet's built-in roles and model providers plugged in. */
export function startAgent(options: Omit<StartAgentOptions, 'createRole' | 'modelProviders'>): Promise<RunningAgent> {
  return startAgentWith({ ...options, createRole, modelProviders: MODEL_PROVIDERS });
}

export type { RunningAgent } from '../agent/runtime.ts';
