/**
 * Role name -> role. Every role answers requests addressed to it; the autonomous one also works
 * the task queue, the relay owns a chat channel. A role's module is imported only by an agent
 * that has it: an orchestrator does not load the relay's channels or the scheduler.
 */
import type { Role, RoleContext } from '../agent/role.ts';

export async function createRole(ctx: RoleContext): Promise<Role> {
  switch (ctx.agent.role) {
    case 'orchestrator':
      return (await import('../orchestrator/answer.ts')).createAnswerRole(ctx, { acknowledge: ['notification', 'response'] });
    case 'autonomous':
      return (await import('../tasks/role.ts')).createAutonomousRole(ctx);
    case 'relay':
      return (await import('../relay/role.ts')).createRelayRole(ctx);
  }
}

export type { Role, RoleContext } from '../agent/role.ts';
export { recipientOf } from '../agent/routing.ts';
