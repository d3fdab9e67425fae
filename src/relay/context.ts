/**
 * What the relay's parts share: who the relay is, its channel's settings, the ledger and the
 * outbox, and the three ways a reply leaves (made, queued, or queued with the inbound message's
 * end). A reply is always written to the ledger first; the outbox delivers it. A tap on a button
 * is answered directly (`answerTap`): a notice on the phone, not a message.
 */
import type { RoleContext } from '../agent/role.ts';
import type { Clock } from '../agent/clock.ts';
import { splitMessage, type Channel } from '../channels/index.ts';
import type { ChannelConfig, ResolvedAgent } from '../config/index.ts';
import type { InboundRecord, NewOutbound, OutboundButton, Store } from '../store/index.ts';
import type { Outbox } from './outbox.ts';
import { inboundTrace, tracedReplies } from './tracing.ts';

export interface RelayContext {
  role: RoleContext;
  /** The relay agent's name. */
  name: string;
  settings: ResolvedAgent['relay'];
  channelConfig: ChannelConfig;
  /** The agent requests are escalated to; undefined when the config has no orchestrator. */
  orchestrator: string | undefined;
  clock: Clock;
  /** The store whose ledger records every inbound and outbound message. */
  store: Store;
  /** Aborted when the relay stops for good. */
  stopping: AbortSignal;
  /** Set once the channel has started. */
  channel?: Channel;
  /** Set once the channel has started. */
  outbox?: Outbox;
}

/** A reply to `chatId`, split at the channel's limit, each part keyed after `key`; the buttons go under the last part. */
export function reply(relay: RelayContext, key: string, chatId: string, text: string, buttons: OutboundButton[] = []): NewOutbound[] {
  const parts = splitMessage(relay.role.redact(text), relay.channel?.maxLength ?? 4096);
  return parts.map((p, i) => ({
    key: parts.length === 1 ? key : `${key}#${i + 1}`,
    agent: relay.name,
    chatId,
    text: p,
    ...(buttons.length && i === parts.length - 1 ? { buttons } : {}),
  }));
}

/** Queues replies in the ledger (in the trace being worked on) and wakes the outbox. */
export async function enqueue(relay: RelayContext, replies: NewOutbound[]): Promise<void> {
  if (replies.length === 0) return;
  await relay.store.ledger.enqueue(tracedReplies(relay.role.tracer, replies));
  relay.outbox?.wake();
}

/** Ends an inbound message's handling, queuing its replies (in its trace) in the same step. */
export async function finish(relay: RelayContext, rec: InboundRecord, state: 'handled' | 'refused', replies: NewOutbound[] = []): Promise<void> {
  const trace = inboundTrace(relay.name, rec.key);
  await relay.store.ledger.finish(relay.name, rec.key, state, tracedReplies(relay.role.tracer, replies, trace));
  relay.role.tracer?.hop(trace, state, rec.key);
  relay.outbox?.wake();
}

/**
 * Answers a tap on a button (the phone's spinner stops), with a short notice or none: best effort,
 * after the tap's effect is recorded, since a tap left unanswered only times out on the phone.
 */
export async function answerTap(relay: RelayContext, rec: InboundRecord, notice?: string): Promise<void> {
  if (!rec.tap || !relay.channel?.answerTap) return;
  try {
    await relay.channel.answerTap(rec.tap.id, notice);
  } catch (err) {
    relay.role.logger.info({ key: rec.key, err: (err as Error)?.message ?? String(err) }, 'tap not answered (the phone stops waiting by itself)');
  }
}
