/** bridge_send and bridge_reply: the agent talks to other agents (and, through the relay, to the owner). */
import { z } from 'zod';
import { replyFields, type Bridge } from '../../bridge/index.ts';
import { defineTool, ToolRefusal, type Tool } from './tool.ts';

export function bridgeSendTool(bridge: Bridge, self: string, agents: string[]): Tool {
  return defineTool(
    'bridge_send',
    `Send a request or notification to another agent of the network (${agents.join(', ')}). Returns the message id.`,
    z.object({
      to: z.string().describe('the agent to send to'),
      type: z.enum(['request', 'notification']).default('request'),
      content: z.string().min(1),
      priority: z.enum(['low', 'normal', 'high']).optional(),
    }),
    async (input) => {
      if (!agents.includes(input.to)) throw new ToolRefusal(`no agent "${input.to}"; agents: ${agents.join(', ')}`);
      const m = await bridge.append({
        from: self,
        to: input.to,
        type: input.type,
        content: input.content,
        ...(input.priority ? { metadata: { priority: input.priority } } : {}),
      });
      return `sent ${m.id} to ${input.to}`;
    },
  );
}

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
