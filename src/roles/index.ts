/** Role name -> role. Every role answers requests addressed to it; the autonomous one also works the task queue. */
import type { Role, RoleContext } from './role.ts';
import { createAnswerRole } from './answer.ts';
import { createAutonomousRole } from './autonomous.ts';

export function createRole(ctx: RoleContext): Role {
  switch (ctx.agent.role) {
    case 'orchestrator':
      return createAnswerRole(ctx, { acknowledge: ['notification', 'response'] });
    case 'autonomous':
      return createAutonomousRole(ctx);
    case 'relay':
      // Responses addressed to the relay are for the owner's chat: they stay pending until
      // the relay's channel delivers them.
      return createAnswerRole(ctx, { acknowledge: ['notification'] });
  }
}

export type { Role, RoleContext } from './role.ts';
export { recipientOf } from './routing.ts';
