/**
 * Escalation: what the relay does not answer itself goes to the orchestrator as a bridge request
 * (the owner is acknowledged first), and the answer that comes back over the bridge, or a
 * notification for the owner, is delivered to the chat it belongs to.
 */
import { z } from 'zod';
import { defineTool, type Tool } from '../agent/tools/tool.ts';
import { chatOf, newMessageId, type BridgeMessage, type Priority } from '../bridge/index.ts';
import { whatsappChatId } from '../channels/index.ts';
import { AgentnetError } from '../errors.ts';
import type { InboundRecord } from '../store/index.ts';
import { enqueue, reply, type RelayContext } from './context.ts';
import { PHRASES, type Language } from './language.ts';
import { ownerChats } from './owners.ts';

/** Acknowledges the owner, then passes the message to the orchestrator, once even across a crash. */
export async function escalate(relay: RelayContext, rec: InboundRecord, lang: Language, priority: Priority, context?: string): Promise<void> {
  const { role: ctx, name, orchestrator, channelConfig: chCfg } = relay;
  await enqueue(relay, reply(relay, `ack:${rec.key}`, rec.chatId, PHRASES.ack[lang]));
  if (!orchestrator) throw new AgentnetError('AGENT_UNKNOWN', 'there is no orchestrator agent in the config to pass this to');
  // The request id is chosen and recorded first: after a crash the same request is found, not sent again.
  const fresh = !rec.escalatedAs;
  const id = rec.escalatedAs ?? newMessageId(name);
  if (fresh) {
    await relay.store.ledger.escalating(name, rec.key, id);
    rec.escalatedAs = id;
  }
  // Only an id chosen before a restart can be on the bridge already: looking up a new one would
  // miss the live file and read every archive (the jsonl bridge), once per message.
  if (fresh || !(await ctx.bridge.get(id))) {
    await ctx.bridge.append({
      id,
      from: name,
      to: orchestrator,
      type: 'request',
      content: context ? `${rec.text}\n\n(context from ${name}: ${context})` : rec.text,
      metadata: {
        ...(chCfg.type === 'whatsapp' ? { whatsapp_sender: rec.chatId } : {}),
        channel: chCfg.type,
        chat: rec.chatId,
        priority,
        inbound: rec.key,
      },
    });
    ctx.logger.info({ key: rec.key, request: id, to: orchestrator, priority }, 'escalated');
  }
}

/** The relay model's `escalate` tool for one owner message; sets `escalated.done` when used. */
export function escalateTool(relay: RelayContext, rec: InboundRecord, lang: Language, escalated: { done: boolean }): Tool {
  const { orchestrator } = relay;
  return defineTool(
    'escalate',
    `Pass the owner's message to ${orchestrator ?? 'the orchestrator'} for real work (coding, servers, anything that takes more than a quick answer). The owner is told it is on its way; the answer is delivered when it comes.`,
    z.object({
      priority: z.enum(['low', 'normal', 'high']).default('normal'),
      context: z.string().max(2000).optional().describe('what the orchestrator should know beyond the message itself'),
    }),
    async (input) => {
      await escalate(relay, rec, lang, input.priority, input.context);
      escalated.done = true;
      return `passed to ${orchestrator}; the owner has been told. Do not answer the owner yourself now.`;
    },
  );
}

/** Where an answer or a notification goes: the chat of the request it answers, else the owners. */
async function targetsOf(relay: RelayContext, msg: BridgeMessage): Promise<string[]> {
  const type = relay.channelConfig.type;
  /** The message's chat when it is on this relay's channel. */
  const chatHere = (m: BridgeMessage | undefined): string | undefined => {
    const c = chatOf(m);
    if (!c || (c.channel !== undefined && c.channel !== type)) return undefined;
    return c.channel === 'whatsapp' ? whatsappChatId(c.chat) : c.chat;
  };
  const direct = chatHere(msg) ?? (msg.replyTo ? chatHere(await relay.role.bridge.get(msg.replyTo)) : undefined);
  return direct ? [direct] : ownerChats(relay.channelConfig);
}

/** An answer or a notification for the owner: into the ledger (delivered by the outbox), then done. */
export async function deliverToOwner(relay: RelayContext, msg: BridgeMessage): Promise<void> {
  const { role: ctx, name } = relay;
  const text = msg.type === 'notification' && msg.from !== name ? `🔔 ${msg.from}: ${msg.content}` : msg.content;
  const chats = await targetsOf(relay, msg);
  await enqueue(relay, chats.flatMap((chat) => reply(relay, `bridge:${msg.id}:${chat}`, chat, text)));
  // A response completes its request (seed responders do not mark it); a notification about it does not.
  if (msg.type === 'response' && msg.replyTo) {
    const original = await ctx.bridge.get(msg.replyTo);
    if (original && original.status !== 'done') await ctx.bridge.markDone(original);
  }
  ctx.logger.info({ id: msg.id, from: msg.from, type: msg.type, chats: chats.length }, 'queued for the owner');
}
