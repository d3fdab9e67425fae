/**
 * The canary: every `channel.canary` the relay asks its chat provider whether it still answers for
 * this instance or bot (Channel.canary: Green API's getStateInstance, Telegram's getMe, and the
 * webhook's queue in webhook mode). What it finds lands in the channel's health, where /health,
 * `agentnet status`, the dashboard and the channel alarm read it. Off with `canary: off`.
 */
import type { Channel } from '../channels/index.ts';
import type { RelayContext } from './context.ts';

/** Runs until the relay stops; returns at once when the canary is off or the channel has none. */
export async function runCanary(relay: RelayContext, ch: Channel): Promise<void> {
  const { role: ctx, channelConfig: cfg, clock, stopping } = relay;
  const every = cfg.type === 'terminal' ? 0 : cfg.canary;
  if (every === 0 || !ch.canary) return;
  let wasOk: boolean | undefined;
  while (await clock.sleep(every, stopping).then(() => true, () => false)) {
    try {
      const r = await ch.canary();
      if (r.ok !== wasOk) ctx.logger[r.ok ? 'info' : 'warn']({ detail: r.detail }, r.ok ? 'channel canary: the provider answers' : 'channel canary found a problem');
      wasOk = r.ok;
    } catch (err) {
      ctx.logger.warn({ err }, 'channel canary failed'); // canary() never rejects; a bug must not end the schedule
    }
  }
}
