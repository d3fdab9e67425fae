/**
 * The relay role (the seed's Kami): owns a chat channel. It wires the relay's parts: inbound
 * (record in the ledger, allow-list, per-chat order), owner commands, the conversation with the
 * relay's model, escalation to the orchestrator and the answers coming back, the owner's approvals (asked and answered), the watch of the
 * autonomous agents with its alerts, the channel's own health (its canary and alarm), and the outbox every reply leaves through.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createAnswerRole } from '../agent/answer.ts';
import { systemClock } from '../agent/clock.ts';
import type { Role, RoleContext } from '../agent/role.ts';
import { firstWithRole } from '../agent/routing.ts';
import { channelOf, createChannel } from '../channels/index.ts';
import { AgentnetError } from '../errors.ts';
import { createRelayAlerter } from './alerts.ts';
import { createApprovalTaps } from './approval-tap.ts';
import { runCanary } from './canary.ts';
import { announceApprovals, createApprovalAnswers } from './approvals.ts';
import type { RelayContext } from './context.ts';
import { converse } from './conversation.ts';
import { deliverToOwner } from './escalation.ts';
import { startRelayHealth, type RelayHealth } from './health.ts';
import { createInbound } from './inbound.ts';
import { startOutbox } from './outbox.ts';
import { traceDelivery, traceSent } from './tracing.ts';
import { createOwnerCommands } from './owner-commands.ts';
import { watchAgents } from './watch.ts';

export function createRelayRole(ctx: RoleContext): Role {
  const name = ctx.agent.name;
  const stopping = new AbortController();
  const relay: RelayContext = {
    role: ctx,
    name,
    settings: ctx.agent.relay,
    channelConfig: channelOf(ctx.agent),
    orchestrator: firstWithRole(ctx.config, 'orchestrator'),
    clock: ctx.clock ?? systemClock,
    stopping: stopping.signal,
    get store() {
      if (!ctx.store) throw new AgentnetError('STORE_OPEN_FAILED', `${name} is a relay but has no store open for its delivery ledger`);
      return ctx.store;
    },
  };
  const answer = createAnswerRole(ctx, { acknowledge: [] });
  const inbound = createInbound(relay, { approval: createApprovalAnswers(relay), tap: createApprovalTaps(relay), command: createOwnerCommands(relay), converse: (rec, lang) => converse(relay, rec, lang) });
  let receiving: Promise<void> | undefined;
  let watching: Promise<void> | undefined;
  let approving: Promise<void> | undefined;
  let canarying: Promise<void> | undefined;
  let health: RelayHealth | undefined;

  return {
    accepts: (m) => m.type === 'request' || m.type === 'response' || m.type === 'notification',

    async handle(msg, signal) {
      if (msg.type === 'request') return answer.handle(msg, signal);
      await deliverToOwner(relay, msg);
    },

    async start() {
      const { store, channelConfig: chCfg, settings } = relay;
      const ch = createChannel(ctx.config, ctx.agent, ctx.logger, relay.clock.now);
      await ch.start();
      relay.channel = ch;
      ch.onDelivery?.((s) => void store.ledger.delivery(s.providerId, s.status).catch((err) => ctx.logger.warn({ providerId: s.providerId, status: s.status, err }, 'delivery status not recorded in the ledger')));
      ch.onDelivery?.((s) => void traceDelivery(ctx.tracer, s).catch((err) => ctx.logger.warn({ providerId: s.providerId, err }, 'delivery status not traced')));
      relay.outbox = startOutbox({ agent: name, ledger: store.ledger, channel: ch, logger: ctx.logger, perChatMs: chCfg.pace.perChatMs, perInstanceMs: chCfg.pace.perInstanceMs, maxBackoffMs: settings.maxBackoffMs, onSent: (r, id) => traceSent(ctx, r, id) });
      receiving = inbound.receive(ch);
      watching = watchAgents(relay, createRelayAlerter(relay));
      approving = announceApprovals(relay);
      canarying = runCanary(relay, ch);
      health = await startRelayHealth(relay, ch);
      ctx.logger.info({ channel: ch.type, owners: chCfg.type === 'terminal' ? 1 : chCfg.owners.length }, 'relay channel started');
      if (chCfg.type !== 'terminal' && chCfg.owners.length === 0) ctx.logger.warn({}, 'the channel has no owners: nobody can command the network through it (set channel.owners)');
    },

    async stop(graceMs) {
      health?.stop();
      // Messages in hand get the grace; what is not finished stays "received" and is handled after the restart.
      const grace = new AbortController();
      await Promise.race([Promise.allSettled(inbound.inHand()), sleep(graceMs, undefined, { signal: grace.signal }).catch(() => undefined)]); // the timer's abort is its only failure
      grace.abort();
      stopping.abort();
      await relay.channel?.stop();
      await Promise.allSettled([receiving, watching, approving, canarying]);
      await relay.outbox?.stop();
    },

    health: () => health?.now() ?? {},
  };
}
