/**
 * Role name -> role. Every role answers requests addressed to it; the autonomous one also works
 * the task queue, the relay owns a chat channel. A role's module is imported only by an agent
 * that has it: an orchestrator does not load the relay's channels or the scheduler.
 */
import type { Role, RoleContext } from '../agent/role.ts';

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

export type { Role, RoleContext } from '../agent/role.ts';
export { recipientOf } from '../agent/routing.ts';
