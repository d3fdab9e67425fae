/**
 * The relay role (the seed's Kami): owns a chat channel. Every inbound message is recorded in
 * the delivery ledger before the provider forgets it; only the owners on the allow-list command
 * anything. Owner commands run before any model; everything else is acknowledged, answered by
 * the relay's model or escalated to the orchestrator over the bridge, and the answer that comes
 * back is delivered to the chat it came from. Replies leave through the ledger's outbox.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineTool } from '../agent/tools/tool.ts';
import { pauseEverywhere, readNetworkPause, resumeEverywhere } from '../agent/pause.ts';
import { chatOf, newMessageId, type BridgeMessage } from '../bridge/index.ts';
import { channelOf, createChannel, splitMessage, whatsappChatId, type Channel, type InboundMessage } from '../channels/index.ts';
import { AgentnetError } from '../errors.ts';
import { runToolLoop } from '../agent/tools/tool-loop.ts';
import { healthUrl, probe } from '../agent/health-probe.ts';
import { collectStatus, formatStatusShort } from '../agent/network-status.ts';
import { languageOf, PHRASES, type Language } from './language.ts';
import { parseCommand } from './commands.ts';
import { isOwner, ownerChats } from './owners.ts';
import { startOutbox, type Outbox } from './outbox.ts';
import { systemClock } from '../agent/clock.ts';
import type { InboundRecord, NewOutbound, Store } from '../store/index.ts';
import { checkAgents, type Alerter } from '../agent/health-watch.ts';
import { createAnswerRole, untrusted } from '../agent/answer.ts';
import type { Role, RoleContext } from '../agent/role.ts';
import { firstWithRole } from '../agent/routing.ts';

/** A shutdown asked for but not confirmed yet, by chat. */
const CONFIRM_WINDOW_MS = 120_000;

/** Masks a sender for logs: enough to tell two apart, not enough to dial. */
export const maskSender = (s: string) => (s.length <= 4 ? '***' : `${s.slice(0, 3)}***${s.slice(-2)}`);
/** A ledger key names the chat (`972…@c.us_3EB0…`): logged with the number masked. */
const mask = (m: { key: string; chatId: string }) => m.key.split(m.chatId.replace(/@.*$/, '')).join(maskSender(m.chatId.replace(/@.*$/, '')));

export function createRelayRole(ctx: RoleContext): Role {
  const answer = createAnswerRole(ctx, { acknowledge: [] });
  const name = ctx.agent.name;
  const settings = ctx.agent.relay;
  const chCfg = channelOf(ctx.agent);
  const orchestrator = firstWithRole(ctx.config, 'orchestrator');
  const clock = ctx.clock ?? systemClock;
  const stopping = new AbortController();
  const confirmations = new Map<string, number>();
  /** Per chat, the work in progress: a chat's messages are handled in order. */
  const chains = new Map<string, Promise<void>>();
  let channel: Channel | undefined;
  let outbox: Outbox | undefined;
  let receiving: Promise<void> | undefined;
  let watching: Promise<void> | undefined;
  let store: Store;
  /** /health is synchronous: the channel's state and the ledger's figures are refreshed in the background. */
  let healthNow: Record<string, unknown> = {};
  let healthTimer: NodeJS.Timeout | undefined;

  const reply = (key: string, chatId: string, text: string): NewOutbound[] => {
    const parts = splitMessage(ctx.redact(text), channel?.maxLength ?? 4096);
    return parts.map((p, i) => ({ key: parts.length === 1 ? key : `${key}#${i + 1}`, agent: name, chatId, text: p }));
  };
  const enqueue = async (replies: NewOutbound[]) => {
    if (replies.length === 0) return;
    await store.ledger.enqueue(replies);
    outbox?.wake();
  };
  const finish = async (rec: InboundRecord, state: 'handled' | 'refused', replies: NewOutbound[] = []) => {
    await store.ledger.finish(name, rec.key, state, replies);
    outbox?.wake();
  };
  const language = (text: string): Language => languageOf(text, chCfg.language);

  // ---- escalation: ack first, then a request to the orchestrator that the answer comes back to.
  const escalate = async (rec: InboundRecord, lang: Language, priority: 'low' | 'normal' | 'high', context?: string) => {
    await enqueue(reply(`ack:${rec.key}`, rec.chatId, PHRASES.ack[lang]));
    if (!orchestrator) throw new AgentnetError('AGENT_UNKNOWN', 'there is no orchestrator agent in the config to pass this to');
    // The request id is chosen and recorded first: after a crash the same request is found, not sent again.
    const fresh = !rec.escalatedAs;
    const id = rec.escalatedAs ?? newMessageId(name);
    if (fresh) {
      await store.ledger.escalating(name, rec.key, id);
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
  };

  const escalateTool = (rec: InboundRecord, lang: Language, escalated: { done: boolean }) =>
    defineTool(
      'escalate',
      `Pass the owner's message to ${orchestrator ?? 'the orchestrator'} for real work (coding, servers, anything that takes more than a quick answer). The owner is told it is on its way; the answer is delivered when it comes.`,
      z.object({
        priority: z.enum(['low', 'normal', 'high']).default('normal'),
        context: z.string().max(2000).optional().describe('what the orchestrator should know beyond the message itself'),
      }),
      async (input) => {
        await escalate(rec, lang, input.priority, input.context);
        escalated.done = true;
        return `passed to ${orchestrator}; the owner has been told. Do not answer the owner yourself now.`;
      },
    );

  // ---- owner commands
  const statusText = async (lang: Language) => {
    const s = await collectStatus(ctx.config, ctx.bridge, { memory: store.memory });
    return `${formatStatusShort(s, lang)}\n${PHRASES.tasks[lang](await store.queue.stats())}`;
  };

  const shutdownAll = async (rec: InboundRecord, lang: Language) => {
    const others = Object.values(ctx.config.agents).filter((a) => a.name !== name);
    // Through the bridge, so agents on other hosts get it too; each runtime stops and exits 0.
    for (const a of others) {
      await ctx.bridge.append({ from: name, to: a.name, type: 'notification', content: `shutdown all, asked by the owner through ${name}`, metadata: { control: 'shutdown', inbound: rec.key } });
    }
    ctx.logger.warn({ agents: others.map((a) => a.name) }, 'shutdown all: asked every agent to stop');
    const deadline = Date.now() + 20_000;
    let answering = others;
    while (answering.length > 0 && Date.now() < deadline) {
      await sleep(500);
      const still = await Promise.all(answering.map(async (a) => ((await probe(healthUrl(a.health.host, a.health.port), 1000)).health ? a : undefined)));
      answering = still.filter((a) => a !== undefined);
    }
    const stopped = others.filter((a) => !answering.includes(a)).map((a) => a.name).join(', ');
    await finish(rec, 'handled', reply(`cmd:${rec.key}`, rec.chatId, PHRASES.shutdownReport[lang](stopped, answering.map((a) => a.name).join(', '))));
    await outbox?.drained(10_000);
    ctx.requestShutdown?.('shutdown all');
  };

  /** Runs an owner command; false when the text is not one (in this state). */
  const command = async (rec: InboundRecord, lang: Language): Promise<boolean> => {
    const cmd = parseCommand(rec.text);
    if (!cmd) return false;
    const respond = (text: string) => finish(rec, 'handled', reply(`cmd:${rec.key}`, rec.chatId, text));
    const asked = confirmations.get(rec.chatId);
    const confirming = asked !== undefined && Date.now() - asked < CONFIRM_WINDOW_MS;
    if ((cmd === 'confirm' || cmd === 'cancel') && !confirming) return false; // a plain "yes"/"no": conversation
    ctx.logger.info({ key: rec.key, command: cmd }, 'owner command');
    switch (cmd) {
      case 'status':
        await respond(await statusText(lang));
        return true;
      case 'pause':
        if ((await readNetworkPause(ctx.config, ctx.store?.memory)).paused) await respond(PHRASES.alreadyPaused[lang]);
        else {
          await pauseEverywhere(ctx.config, ctx.store?.memory, { reason: `owner, through ${name}`, by: name });
          await respond(PHRASES.paused[lang]);
        }
        return true;
      case 'resume':
        await respond((await resumeEverywhere(ctx.config, ctx.store?.memory, name)) ? PHRASES.resumed[lang] : PHRASES.notPaused[lang]);
        return true;
      case 'shutdown':
        confirmations.set(rec.chatId, Date.now());
        await respond(PHRASES.confirmShutdown[lang](Object.keys(ctx.config.agents).join(', ')));
        return true;
      case 'cancel':
        confirmations.delete(rec.chatId);
        await respond(PHRASES.cancelled[lang]);
        return true;
      case 'confirm':
        confirmations.delete(rec.chatId);
        await shutdownAll(rec, lang);
        return true;
    }
  };

  // ---- a conversation message: the relay's model answers or escalates; no model means escalate.
  const converse = async (rec: InboundRecord, lang: Language) => {
    if (rec.escalatedAs || !ctx.model.isLanguageModel) {
      if (orchestrator) {
        await escalate(rec, lang, 'normal');
        return finish(rec, 'handled');
      }
    }
    const escalated = { done: false };
    // Slow answers get an acknowledgement first (the same key as an escalation's: never two).
    const ackTimer = setTimeout(() => void enqueue(reply(`ack:${rec.key}`, rec.chatId, PHRASES.ack[lang])).catch(() => undefined), settings.ackAfterMs);
    // A timer cleared when the answer is in: AbortSignal.timeout would keep each message's signal alive for 10 minutes.
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 600_000).unref();
    try {
      const signal = AbortSignal.any([stopping.signal, deadline.signal]);
      const result = await runToolLoop({
        model: ctx.model,
        system: ctx.prompt,
        messages: [{ role: 'user', content: untrusted({ id: rec.key, from: 'owner', type: 'request', content: rec.text, ts: new Date(rec.receivedAt).toISOString(), status: 'pending' } as BridgeMessage) }],
        tools: orchestrator ? [escalateTool(rec, lang, escalated), ...ctx.tools] : ctx.tools,
        signal,
        onCall: (r) => {
          ctx.stats.modelCalls.ok++;
          ctx.stats.tokens.input += r.usage.inputTokens;
          ctx.stats.tokens.output += r.usage.outputTokens;
        },
        onTool: (t) => ctx.logger.info({ key: rec.key, tool: t.name, ok: t.ok }, 'tool call'),
      });
      clearTimeout(ackTimer);
      if (escalated.done || !result.text.trim()) return finish(rec, 'handled');
      await finish(rec, 'handled', reply(`answer:${rec.key}`, rec.chatId, result.text));
    } finally {
      clearTimeout(ackTimer);
      clearTimeout(deadlineTimer);
    }
  };

  const handleInbound = async (rec: InboundRecord) => {
    if (!isOwner(chCfg, rec.sender)) {
      ctx.logger.warn({ key: mask(rec), sender: maskSender(rec.sender), chars: rec.text.length }, 'message from someone not on the owner list; not acted on');
      const refusal = chCfg.type === 'terminal' ? undefined : chCfg.refusal;
      // At most one refusal a day per chat: a stranger cannot make the number send a burst.
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      return finish(rec, 'refused', refusal ? [{ key: `refusal:${rec.chatId}:${day}`, agent: name, chatId: rec.chatId, text: refusal }] : []);
    }
    const lang = language(rec.text);
    try {
      if (await command(rec, lang)) return;
      await converse(rec, lang);
    } catch (err) {
      if (stopping.signal.aborted) return; // handled again after the restart
      if (rec.escalatedAs) {
        // The orchestrator has it and will answer: a failure notice now would contradict that.
        ctx.logger.warn({ key: mask(rec), err }, 'the model failed after escalating; the answer still comes from the orchestrator');
        return finish(rec, 'handled');
      }
      ctx.stats.errors.handling = (ctx.stats.errors.handling ?? 0) + 1;
      ctx.logger.error({ key: mask(rec), err }, 'could not handle an owner message');
      // The owner is never left in silence.
      const why = ctx.redact((err as Error).message ?? String(err)).slice(0, 200);
      await finish(rec, 'handled', reply(`failed:${rec.key}`, rec.chatId, PHRASES.failed[lang](why)));
    }
  };

  /** Queues the handling behind the chat's earlier messages. */
  const dispatch = (rec: InboundRecord) => {
    const prev = chains.get(rec.chatId) ?? Promise.resolve();
    const next = prev.then(() => handleInbound(rec)).catch((err) => ctx.logger.error({ key: rec.key, err }, 'inbound handling failed'));
    chains.set(rec.chatId, next);
    void next.then(() => {
      if (chains.get(rec.chatId) === next) chains.delete(rec.chatId);
    });
  };

  const receiveLoop = async (ch: Channel) => {
    let recovered = false;
    while (!stopping.signal.aborted) {
      try {
        // What a crash left half done is finished first, in order.
        if (!recovered) {
          for (const rec of await store.ledger.unfinished(name)) {
            ctx.logger.info({ key: mask(rec) }, 'handling a message received before the restart');
            dispatch(rec);
          }
          recovered = true;
        }
        for await (const m of ch.receive(stopping.signal)) {
          const rec = await record(m);
          if (rec) dispatch(rec);
        }
      } catch (err) {
        if (stopping.signal.aborted) return;
        ctx.logger.error({ err }, 'receiving failed; starting again in 5 s');
        await sleep(5000, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  };

  /** Records an inbound message (before the provider is told it arrived); undefined when it is a redelivery. */
  const record = async (m: InboundMessage): Promise<InboundRecord | undefined> => {
    ctx.stats.lastActivity = Date.now();
    const fresh = await store.ledger.receive({ key: m.key, agent: name, chatId: m.chatId, sender: m.sender, text: m.text, receivedAt: m.at });
    if (!fresh) {
      ctx.logger.info({ key: mask(m) }, 'message delivered again by the provider; already recorded');
      return undefined;
    }
    ctx.stats.processed.inbound = (ctx.stats.processed.inbound ?? 0) + 1;
    return { key: m.key, agent: name, chatId: m.chatId, sender: m.sender, text: m.text, receivedAt: m.at, state: 'received' };
  };

  // ---- alerts from the relay's own watch go out through its own channel.
  const alerter: Alerter = {
    async send(text, metadata = {}) {
      const at = new Date(clock.now()).toISOString();
      await enqueue(ownerChats(chCfg).flatMap((chat) => reply(`alert:${at}:${String(metadata.agent ?? '')}:${String(metadata.state ?? '')}:${chat}`, chat, text)));
      await ctx.bridge.append({ from: name, to: name, type: 'notification', status: 'done', content: text, metadata: { ...metadata, alert: true, delivered: chCfg.type } });
      return chCfg.type === 'terminal' ? 'bridge' : chCfg.type;
    },
  };

  const watchLoop = async () => {
    const targets = Object.values(ctx.config.agents).filter((a) => a.role === 'autonomous' && a.name !== name);
    if (settings.watchMs === 0 || targets.length === 0) return;
    while (!stopping.signal.aborted) {
      if (!(await clock.sleep(settings.watchMs, stopping.signal).then(() => true, () => false))) return;
      if (ctx.pause.paused()) continue;
      try {
        await checkAgents({ agent: ctx.agent, config: ctx.config, store, clock, signal: stopping.signal, alerter, logger: ctx.logger }, targets, settings.confirmMs);
      } catch (err) {
        if (!stopping.signal.aborted) ctx.logger.warn({ err }, 'health watch failed');
      }
    }
  };

  /** Where an answer or a notification goes: the chat of the request it answers, else the owners. */
  const targetsOf = async (msg: BridgeMessage): Promise<string[]> => {
    /** The message's chat when it is on this relay's channel. */
    const chatHere = (m: BridgeMessage | undefined): string | undefined => {
      const c = chatOf(m);
      if (!c || (c.channel !== undefined && c.channel !== chCfg.type)) return undefined;
      return c.channel === 'whatsapp' ? whatsappChatId(c.chat) : c.chat;
    };
    const direct = chatHere(msg) ?? (msg.replyTo ? chatHere(await ctx.bridge.get(msg.replyTo)) : undefined);
    return direct ? [direct] : ownerChats(chCfg);
  };

  return {
    accepts: (m) => m.type === 'request' || m.type === 'response' || m.type === 'notification',

    async handle(msg, signal) {
      if (msg.type === 'request') return answer.handle(msg, signal);
      // An answer or a notification for the owner: into the ledger (delivered by the outbox), then done.
      const text = msg.type === 'notification' && msg.from !== name ? `🔔 ${msg.from}: ${msg.content}` : msg.content;
      const chats = await targetsOf(msg);
      await enqueue(chats.flatMap((chat) => reply(`bridge:${msg.id}:${chat}`, chat, text)));
      // A response completes its request (seed responders do not mark it); a notification about it does not.
      if (msg.type === 'response' && msg.replyTo) {
        const original = await ctx.bridge.get(msg.replyTo);
        if (original && original.status !== 'done') await ctx.bridge.markDone(original);
      }
      ctx.logger.info({ id: msg.id, from: msg.from, type: msg.type, chats: chats.length }, 'queued for the owner');
    },

    async start() {
      if (!ctx.store) throw new AgentnetError('STORE_OPEN_FAILED', `${name} is a relay but has no store open for its delivery ledger`);
      store = ctx.store;
      const ch = createChannel(ctx.config, ctx.agent, ctx.logger);
      await ch.start();
      channel = ch;
      ch.onDelivery?.((s) => void store.ledger.delivery(s.providerId, s.status).catch(() => undefined));
      outbox = startOutbox({ agent: name, ledger: store.ledger, channel: ch, logger: ctx.logger, perChatMs: chCfg.pace.perChatMs, perInstanceMs: chCfg.pace.perInstanceMs, maxBackoffMs: settings.maxBackoffMs });
      receiving = receiveLoop(ch);
      watching = watchLoop();
      const refresh = async () => {
        const [h, st] = await Promise.all([ch.health(), store.ledger.stats(name, Date.now())]);
        healthNow = { channel: { type: ch.type, ...h }, ledger: st };
        if (!h.ok) ctx.problems?.add('channel');
        else ctx.problems?.delete('channel');
      };
      await refresh().catch(() => undefined);
      // One refresh at a time: while the store waits out an outage, they must not pile up.
      let refreshing = false;
      healthTimer = setInterval(() => {
        if (refreshing) return;
        refreshing = true;
        void refresh()
          .catch(() => undefined)
          .finally(() => (refreshing = false));
      }, 5000);
      healthTimer.unref();
      ctx.logger.info({ channel: ch.type, owners: chCfg.type === 'terminal' ? 1 : chCfg.owners.length }, 'relay channel started');
      if (chCfg.type !== 'terminal' && chCfg.owners.length === 0) ctx.logger.warn({}, 'the channel has no owners: nobody can command the network through it (set channel.owners)');
    },

    async stop(graceMs) {
      clearInterval(healthTimer);
      // Messages in hand get the grace; what is not finished stays "received" and is handled after the restart.
      const grace = new AbortController();
      await Promise.race([Promise.allSettled([...chains.values()]), sleep(graceMs, undefined, { signal: grace.signal }).catch(() => undefined)]);
      grace.abort();
      stopping.abort();
      await channel?.stop();
      await Promise.allSettled([receiving, watching]);
      await outbox?.stop();
    },

    health: () => healthNow,
  };
}
