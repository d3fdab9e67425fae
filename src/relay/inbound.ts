/**
 * Inbound: every message from the channel is recorded in the delivery ledger before the provider
 * forgets it (a redelivery is recognised and dropped), then handled in order per chat. Only the
 * owners on the allow-list command anything (or answer an approval request); a stranger gets at most one refusal a day. An owner's
 * message is a command or a conversation, and the owner is never left in silence when it fails.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, InboundMessage } from '../channels/index.ts';
import type { InboundRecord } from '../store/index.ts';
import { parseApprovalAnswer } from './approval-answer.ts';
import { answerTap, finish, reply, type RelayContext } from './context.ts';
import { languageOf, PHRASES, type Language } from './language.ts';
import type { OwnerCommands } from './owner-commands.ts';
import { isOwner } from './owners.ts';
import { inboundTrace } from './tracing.ts';

/** Masks a sender for logs: enough to tell two apart, not enough to dial. */
export const maskSender = (s: string) => (s.length <= 4 ? '***' : `${s.slice(0, 3)}***${s.slice(-2)}`);
/** A ledger key names the chat (`972…@c.us_3EB0…`): logged with the number masked. */
const mask = (m: { key: string; chatId: string }) => m.key.split(m.chatId.replace(/@.*$/, '')).join(maskSender(m.chatId.replace(/@.*$/, '')));

/** What an owner's message can be, in the order they are tried. */
export interface OwnerHandlers {
  /** The answer to an approval request ("yes 4821"), taken before any command. */
  approval: OwnerCommands;
  /** A tap on a button: only ever an answer to an approval request, never a command or the conversation. */
  tap(rec: InboundRecord, lang: Language): Promise<void>;
  command: OwnerCommands;
  converse(rec: InboundRecord, lang: Language): Promise<void>;
}

export interface Inbound {
  /** Receives from the channel until the relay stops, after finishing what a crash left half done. */
  receive(ch: Channel): Promise<void>;
  /** The messages being handled now: one chain per chat, and the approval answers taken out of turn. */
  inHand(): Array<Promise<void>>;
}

export function createInbound(relay: RelayContext, handlers: OwnerHandlers): Inbound {
  const { role: ctx, name } = relay;
  /** Per chat, the work in progress: a chat's messages are handled in order. */
  const chains = new Map<string, Promise<void>>();
  /** An owner's answers to approval requests, taken out of turn. */
  const answering = new Set<Promise<void>>();

  /**
   * Queues the handling behind the chat's earlier messages. An owner's answer to an approval
   * request, typed or tapped, goes first: the chat's turn in hand may be a tool call waiting for
   * that very answer. (A tap is never a conversation, whoever taps.)
   */
  const dispatch = (rec: InboundRecord) => {
    // Handled in its trace: what it causes (the escalation, model calls, replies) joins it.
    const inTrace = () => (ctx.tracer ? ctx.tracer.run(inboundTrace(name, rec.key), rec.key, () => handleInbound(relay, handlers, rec)) : handleInbound(relay, handlers, rec));
    if (rec.tap || (isOwner(relay.channelConfig, rec.sender) && parseApprovalAnswer(rec.text))) {
      const now = inTrace().catch((err) => ctx.logger.error({ key: rec.key, err }, 'inbound handling failed'));
      answering.add(now);
      void now.then(() => answering.delete(now));
      return;
    }
    const prev = chains.get(rec.chatId) ?? Promise.resolve();
    const next = prev.then(inTrace).catch((err) => ctx.logger.error({ key: rec.key, err }, 'inbound handling failed'));
    chains.set(rec.chatId, next);
    void next.then(() => {
      if (chains.get(rec.chatId) === next) chains.delete(rec.chatId);
    });
  };

  const receive = async (ch: Channel) => {
    const stopping = relay.stopping;
    let recovered = false;
    while (!stopping.aborted) {
      try {
        // What a crash left half done is finished first, in order.
        if (!recovered) {
          for (const rec of await relay.store.ledger.unfinished(name)) {
            ctx.logger.info({ key: mask(rec) }, 'handling a message received before the restart');
            dispatch(rec);
          }
          recovered = true;
        }
        for await (const m of ch.receive(stopping)) {
          const rec = await record(relay, m);
          if (rec) dispatch(rec);
        }
      } catch (err) {
        if (stopping.aborted) return;
        ctx.logger.error({ err }, 'receiving failed; starting again in 5 s');
        await sleep(5000, undefined, { signal: stopping }).catch(() => undefined); // rejects only when stopping aborts the wait
      }
    }
  };

  return { receive, inHand: () => [...chains.values(), ...answering] };
}

/** Records an inbound message (before the provider is told it arrived); undefined when it is a redelivery. */
async function record(relay: RelayContext, m: InboundMessage): Promise<InboundRecord | undefined> {
  const { role: ctx, name } = relay;
  ctx.stats.lastActivity = Date.now();
  const trace = inboundTrace(name, m.key);
  const received = Date.now();
  const rec: InboundRecord = { key: m.key, agent: name, chatId: m.chatId, sender: m.sender, text: m.text, receivedAt: m.at, state: 'received', ...(m.tap ? { tap: m.tap } : {}) };
  if (!(await relay.store.ledger.receive(rec))) {
    ctx.logger.info({ key: mask(m) }, 'message delivered again by the provider; already recorded');
    return undefined;
  }
  // Only a fresh message: a redelivery's hops would be ignored as recorded already.
  ctx.tracer?.hop(trace, 'received', m.key, { channel: relay.channelConfig.type, chars: m.text.length }, { at: received });
  ctx.tracer?.hop(trace, 'recorded', m.key);
  ctx.stats.processed.inbound = (ctx.stats.processed.inbound ?? 0) + 1;
  return rec;
}

/** One recorded message: refused when not from an owner, else a command or a conversation. */
async function handleInbound(relay: RelayContext, handlers: OwnerHandlers, rec: InboundRecord): Promise<void> {
  const { role: ctx, name, channelConfig: chCfg } = relay;
  if (!isOwner(chCfg, rec.sender)) {
    ctx.logger.warn({ key: mask(rec), sender: maskSender(rec.sender), chars: rec.text.length, tap: Boolean(rec.tap) }, 'message from someone not on the owner list; not acted on');
    if (rec.tap) {
      // A stranger's tap: the spinner stops, and nothing tells the stranger what the button was for.
      await finish(relay, rec, 'refused');
      return answerTap(relay, rec);
    }
    const refusal = chCfg.type === 'terminal' ? undefined : chCfg.refusal;
    // At most one refusal a day per chat: a stranger cannot make the number send a burst.
    const day = new Date(relay.clock.now()).toISOString().slice(0, 10);
    return finish(relay, rec, 'refused', refusal ? [{ key: `refusal:${rec.chatId}:${day}`, agent: name, chatId: rec.chatId, text: refusal }] : []);
  }
  // A tap's text is the button's data, not the owner's words: the channel's language.
  const lang = rec.tap ? chCfg.language : languageOf(rec.text, chCfg.language);
  try {
    if (rec.tap) return await handlers.tap(rec, lang);
    if (await handlers.approval(rec, lang)) return;
    if (await handlers.command(rec, lang)) return;
    await handlers.converse(rec, lang);
  } catch (err) {
    if (relay.stopping.aborted) return; // handled again after the restart
    if (rec.escalatedAs) {
      // The orchestrator has it and will answer: a failure notice now would contradict that.
      ctx.logger.warn({ key: mask(rec), err }, 'the model failed after escalating; the answer still comes from the orchestrator');
      return finish(relay, rec, 'handled');
    }
    ctx.stats.errors.handling = (ctx.stats.errors.handling ?? 0) + 1;
    ctx.logger.error({ key: mask(rec), err }, 'could not handle an owner message');
    // The owner is never left in silence.
    const why = ctx.redact((err as Error).message ?? String(err)).slice(0, 200);
    await finish(relay, rec, 'handled', reply(relay, `failed:${rec.key}`, rec.chatId, PHRASES.failed[lang](why)));
  }
}
