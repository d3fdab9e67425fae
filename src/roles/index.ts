/** Role name -> role. Each role's own behaviour lands in its issue; all answer requests today. */
import type { Role, RoleContext } from './role.ts';
import { createAnswerRole } from './answer.ts';

export function createRole(ctx: RoleContext): Role {
  switch (ctx.agent.role) {
    case 'orchestrator':
      return createAnswerRole(ctx, { acknowledge: ['notification', 'response'] });
    case 'autonomous':
      return createAnswerRole(ctx, { acknowledge: ['notification', 'response'] });
    case 'relay':
      // Responses addressed to the relay are for the owner's chat: they stay pending until
      // the relay's channel delivers them.
      return createAnswerRole(ctx, { acknowledge: ['notification'] });
  }
}

export type { Role, RoleContext } from './role.ts';
export { recipientOf } from './routing.ts';
