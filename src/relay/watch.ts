/**
 * The relay's watch of the autonomous agents (which watch everyone else): their /health through
 * the agent layer's health watch, on the relay's own schedule, alerting the owner once when one
 * fails and again when it recovers. Skipped while the network is paused.
 */
import { checkAgents, type Alerter } from '../agent/health-watch.ts';
import type { RelayContext } from './context.ts';

/** Runs until the relay stops; returns at once when there is nothing to watch or `watchMs` is 0. */
export async function watchAgents(relay: RelayContext, alerter: Alerter): Promise<void> {
  const { role: ctx, name, settings, clock, stopping } = relay;
  const targets = Object.values(ctx.config.agents).filter((a) => a.role === 'autonomous' && a.name !== name);
  if (settings.watchMs === 0 || targets.length === 0) return;
  while (!stopping.aborted) {
    if (!(await clock.sleep(settings.watchMs, stopping).then(() => true, () => false))) return;
    if (ctx.pause.paused()) continue;
    try {
      await checkAgents({ agent: ctx.agent, config: ctx.config, store: relay.store, clock, signal: stopping, alerter, logger: ctx.logger }, targets, settings.confirmMs);
    } catch (err) {
      if (!stopping.aborted) ctx.logger.warn({ err }, 'health watch failed');
    }
  }
}
