/** Role name -> role. Every role answers requests addressed to it; the autonomous one also works the task queue, the relay owns a chat channel. */
import type { Role, RoleContext } from './role.ts';
import { createAnswerRole } from './answer.ts';
import { createAutonomousRole } from './autonomous.ts';
import { createRelayRole } from './relay.ts';

export function createRole(ctx: RoleContext): Role {
  switch (ctx.agent.role) {
    case 'orchestrator':
      return createAnswerRole(ctx, { acknowledge: ['notification', 'response'] });
    case 'autonomous':
      return createAutonomousRole(ctx);
    case 'relay':
      return createRelayRole(ctx);
  }
}

export type { Role, RoleContext } from './role.ts';
export { recipientOf } from './routing.ts';
