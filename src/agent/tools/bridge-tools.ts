/**
 * bridge_send (both surfaces): the agent talks to other agents (and, through the relay, to the
 * owner). bridge_reply (the model surface only): a word to whoever sent the message being
 * handled, before the final answer. The MCP server's bridge_reply, which answers a request by
 * id, is a different tool (src/orchestrator/inbox-tools.ts).
 */
import { z } from 'zod';
import { replyFields, type Bridge } from '../../bridge/index.ts';
import { AgentnetError } from '../../errors.ts';
import { asModelTool, networkTool, said } from './network-tool.ts';
import { defineTool, ToolRefusal, type Tool } from './tool.ts';

/** What bridge_send needs: who sends, to whom it may send, and the bridge. */
export interface BridgeToolContext {
  /** The agent the tool speaks for. */
  self: string;
  /** The network's agents. */
  agents: readonly string[];
  bridge: Bridge;
}

const othersOf = (ctx: BridgeToolContext) => ctx.agents.filter((a) => a !== ctx.self);

export const bridgeSend = networkTool({
  name: 'bridge_send',
  title: 'Send a bridge message',
  describe: (ctx: BridgeToolContext) =>
    `Sends a notification (information; the default) or a request (work for the agent to do and answer) to another agent: ${othersOf(ctx).join(', ')}. A notification to the relay reaches the owner's chat. Returns the message id.`,
  input: z.object({
    to: z.string().min(1).describe('the agent to send to'),
    type: z.enum(['request', 'notification']).default('notification').describe('a request is answered with a response; a notification is not'),
    content: z.string().min(1).max(100_000),
    priority: z.enum(['low', 'normal', 'high']).default('normal'),
    context: z.string().max(10_000).optional().describe('what the receiver should know beyond the content'),
  }),
  async run({ to, type, content, priority, context }, ctx) {
    if (!ctx.agents.includes(to)) throw new AgentnetError('AGENT_UNKNOWN', `no agent "${to}" in the network; agents: ${ctx.agents.join(', ')}`);
    if (to === ctx.self) throw new AgentnetError('USAGE', `you are ${to}: send to another agent (${othersOf(ctx).join(', ')})`);
    const m = await ctx.bridge.append({ from: ctx.self, to, type, content, metadata: { priority, ...(context ? { context } : {}) } });
    return said(`sent ${type} ${m.id} to ${to}`, { message: m });
  },
});

/** bridge_send on the model surface, for `self` in a network of `agents`. */
export const bridgeSendTool = (bridge: Bridge, self: string, agents: readonly string[]): Tool => asModelTool(bridgeSend, { bridge, self, agents });

export function bridgeReplyTool(bridge: Bridge, self: string): Tool {
  return defineTool(
    'bridge_reply',
    'Tell whoever sent the message you are handling something now, before your final answer (for example to acknowledge a long job). Your final answer is sent as the reply anyway.',
    z.object({ content: z.string().min(1) }),
    async (input, ctx) => {
      const msg = ctx.message;
      if (!msg) throw new ToolRefusal('there is no message to reply to');
      // A notification about the request, not a response: a request has exactly one response, the final answer.
      const m = await bridge.append({ from: self, type: 'notification', content: input.content, ...replyFields(msg) });
      return `sent ${m.id} to the asker; your final answer follows as the reply`;
    },
  );
}
