/**
 * The relay's part of /health: the channel's state and the ledger's figures. /health is
 * synchronous, so they are refreshed in the background; a channel with a problem (deaf, the
 * account not authorized, the webhook failing: README "Channel health") marks the agent degraded,
 * saying why, and the channel alarm tells the owners of each confirmed change.
 */
import type { Channel, ChannelReport } from '../channels/index.ts';
import { startChannelAlarm } from './channel-alarm.ts';
import type { RelayContext } from './context.ts';

/** How often the figures are refreshed. */
const REFRESH_MS = 5000;

export interface RelayHealth {
  /** The latest figures. */
  now(): Record<string, unknown>;
  stop(): void;
}

/** Refreshes once (a failure leaves the figures empty), then every few seconds until stopped. */
export async function startRelayHealth(relay: RelayContext, ch: Channel): Promise<RelayHealth> {
  const { role: ctx, name } = relay;
  const alarm = await startChannelAlarm(relay, ch.type);
  let figures: Record<string, unknown> = {};
  /** The agent's problem entry for the channel (`channel: why`), replaced as the reasons change. */
  let problem: string | undefined;
  const refresh = async () => {
    const [h, st] = await Promise.all([ch.health(), relay.store.ledger.stats(name, Date.now())]);
    const channel: ChannelReport = { type: ch.type, ...h };
    figures = { channel, ledger: st };
    if (problem !== undefined) ctx.problems?.delete(problem);
    problem = h.ok ? undefined : `channel: ${h.detail ?? h.state}`;
    if (problem !== undefined) ctx.problems?.add(problem);
    await alarm.check(h.ok ? [] : h.problems.length ? h.problems : [h.state]);
  };
  await refresh().catch((err) => ctx.logger.debug({ err }, 'channel health not refreshed; trying again in 5 s'));
  // One refresh at a time: while the store waits out an outage, they must not pile up.
  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void refresh()
      .catch((err) => ctx.logger.warn({ err }, 'channel health not refreshed; trying again in 5 s'))
      .finally(() => (refreshing = false));
  }, REFRESH_MS);
  timer.unref();
  return { now: () => figures, stop: () => clearInterval(timer) };
}
