/**
 * The relay's hops: an owner's message enters the network here (its trace id is derived from the
 * ledger key, so a restart keeps it), each reply carries its trace through the ledger's outbox,
 * and the provider's word on it (sent, delivered, read) ends the trace. The relay's histograms
 * (the acknowledgement, the send, the reply end to end) are observed here too.
 */
import { traceIdFrom } from '../bridge/index.ts';
import type { DeliveryStatus } from '../channels/index.ts';
import type { RoleContext } from '../agent/role.ts';
import { observe } from '../agent/stats.ts';
import type { Tracer } from '../agent/tracer.ts';
import type { NewOutbound, OutboundRecord } from '../store/index.ts';

/** The trace of relay `agent`'s inbound message `key`: the same for the same ledger key, before and after a restart. */
export const inboundTrace = (agent: string, key: string): string => traceIdFrom(`inbound:${agent}:${key}`);

/** An acknowledgement's ledger key (relay/escalation.ts, relay/conversation.ts write it). */
const isAck = (key: string) => key.startsWith('ack:');

/** The replies, each in `trace` unless it names one, with their hops: queued (or acknowledged) in the outbox. */
export function tracedReplies(tracer: Tracer | undefined, replies: NewOutbound[], trace = tracer?.current()?.trace): NewOutbound[] {
  return replies.map((r) => {
    const t = r.trace ?? trace;
    if (!t) return r;
    tracer?.hop(t, isAck(r.key) ? 'acknowledged' : 'queued', r.key, { chars: r.text.length });
    return r.trace ? r : { ...r, trace: t };
  });
}

/** Answers already observed end to end (the first reply after the acknowledgement is the answer). */
const answered = new WeakMap<RoleContext, Set<string>>();

/** A reply the provider accepted: its hop, and the times /metrics shows. */
export function traceSent(ctx: RoleContext, r: OutboundRecord, providerId: string): void {
  const now = Date.now();
  observe(ctx.stats, 'send', (now - r.createdAt) / 1000);
  if (!r.trace || !ctx.tracer) return;
  ctx.tracer.hop(r.trace, 'sent', providerId, { key: r.key });
  const received = ctx.tracer.receivedAt(r.trace);
  if (received === undefined) return;
  if (isAck(r.key)) return observe(ctx.stats, 'relay_ack', (now - received) / 1000);
  let seen = answered.get(ctx);
  if (!seen) answered.set(ctx, (seen = new Set()));
  if (seen.has(r.trace)) return;
  seen.add(r.trace);
  if (seen.size > 10_000) seen.delete(seen.values().next().value!);
  observe(ctx.stats, 'reply', (now - received) / 1000);
}

/** The provider's report on a reply it accepted: delivered, read, or why not. */
export async function traceDelivery(tracer: Tracer | undefined, s: DeliveryStatus): Promise<void> {
  // `sent` is the provider's echo of the send the outbox already recorded.
  if (!tracer || s.status === 'sent') return;
  const trace = await tracer.traceOfRef(s.providerId);
  if (!trace) return;
  const hop = s.status === 'delivered' || s.status === 'read' ? s.status : 'undelivered';
  tracer.hop(trace, hop, s.providerId, { status: s.status });
}
