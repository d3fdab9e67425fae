/**
 * The orchestrator role: answers requests addressed to it with its model (the shared answer
 * role), and shares them with Claude Code sessions (`agentnet mcp`) through claims: whoever
 * claims a request first answers it, the other leaves it alone.
 */
import { createAnswerRole, type SharedRequests } from '../agent/answer.ts';
import type { Role, RoleContext } from '../agent/role.ts';
import type { BridgeMessage } from '../bridge/index.ts';
import type { Memory } from '../store/index.ts';
import { claimRequest, releaseClaim } from './claims.ts';

/** Whether the bridge already holds an answer to `msg`, or has it done without one. */
async function answeredAlready(ctx: RoleContext, msg: BridgeMessage): Promise<boolean> {
  if ((await ctx.bridge.get(msg.id))?.status === 'done') return true;
  return (await ctx.bridge.answerOf(msg.id)) !== undefined;
}

/** The orchestrator's requests as claims in the shared memory, held as `agent:<name>`. */
function claimedRequests(ctx: RoleContext, memory: Memory): SharedRequests {
  const holder = `agent:${ctx.agent.name}`;
  return {
    async take(msg) {
      const claim = await claimRequest(memory, msg.id, holder);
      if (!claim.ok) {
        ctx.logger.info({ id: msg.id, claimedBy: claim.claim.holder, until: claim.claim.until }, 'claimed by a session: leaving it to them');
        // A session that closes without answering lets its claim lapse: look again then.
        return { revisitAt: Date.parse(claim.claim.until) + 1000 };
      }
      // A session may have answered and let go of its claim just before ours: the bridge says.
      if (await answeredAlready(ctx, msg)) {
        await releaseClaim(memory, msg.id, holder);
        return 'answered';
      }
      return 'mine';
    },
    async release(msg) {
      await releaseClaim(memory, msg.id, holder);
    },
  };
}

export function createOrchestratorRole(ctx: RoleContext): Role {
  return createAnswerRole(ctx, { acknowledge: ['notification', 'response'], ...(ctx.store ? { shared: claimedRequests(ctx, ctx.store.memory) } : {}) });
}
