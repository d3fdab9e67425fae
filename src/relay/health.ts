/**
 * The relay's part of /health: the channel's state and the ledger's figures. /health is
 * synchronous, so they are refreshed in the background; a channel that is down marks the agent
 * degraded.
 */
import type { Channel } from '../channels/index.ts';
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
  let figures: Record<string, unknown> = {};
  const refresh = async () => {
    const [h, st] = await Promise.all([ch.health(), relay.store.ledger.stats(name, Date.now())]);
    figures = { channel: { type: ch.type, ...h }, ledger: st };
    if (!h.ok) ctx.problems?.add('channel');
    else ctx.problems?.delete('channel');
  };
  await refresh().catch((err) => ctx.logger.debug({ err }, 'channel health not refreshed; trying again in 5 s'));
  // One refresh at a time: while the store waits out an outage, they must not pile up.
  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void refresh()
      .catch((err) => ctx.logger.debug({ err }, 'channel health not refreshed; trying again in 5 s'))
      .finally(() => (refreshing = false));
  }, REFRESH_MS);
  timer.unref();
  return { now: () => figures, stop: () => clearInterval(timer) };
}
