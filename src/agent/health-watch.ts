/**
 * The watch of other agents' /health, shared by the autonomous agent's monitor task and the
 * relay's own watch. The owner hears once when an agent goes down and once when it recovers,
 * never again while it stays down. The last state of each agent is kept in memory
 * (`monitor/<agent>`), written compare-and-set, so a restart or a second watcher does not
 * alert twice.
 */
import { spellDuration } from '../channels/channel-health.ts';
import type { Config, ResolvedAgent } from '../config/index.ts';
import { isAgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Store } from '../store/index.ts';
import type { Clock } from './clock.ts';
import { healthUrl, probe } from './health-probe.ts';

export const MONITOR_NAMESPACE = 'monitor';

export interface MonitorRecord {
  state: 'up' | 'down';
  /** The agent's own status when up: ok, paused, degraded. */
  status?: string;
  error?: string;
  url: string;
  since: string;
  checkedAt: string;
}

/** Alerts to the owner: the autonomous agent's go out through the relay's channel (relay/alerts.ts), the relay's through its own. */
export interface Alerter {
  /** Delivers an alert; resolves with how it went out: `whatsapp`, `telegram` or `bridge`. */
  send(text: string, metadata?: Record<string, unknown>): Promise<'whatsapp' | 'telegram' | 'bridge'>;
}

/** What a health watch needs: the monitor task's context, or the relay's own watch. */
export interface WatchContext {
  /** The watching agent. */
  agent: ResolvedAgent;
  config: Config;
  store: Store;
  clock: Clock;
  signal: AbortSignal;
  alerter: Alerter;
  logger: Logger;
}

async function check(ctx: WatchContext, url: string, confirmMs: number): Promise<{ status?: string; error?: string }> {
  let r = await probe(url, 3000);
  // One failed probe may be a restart in progress (the supervisor restarts within seconds): confirm.
  if (!r.health && confirmMs > 0) {
    await ctx.clock.sleep(confirmMs, ctx.signal);
    r = await probe(url, 3000);
  }
  return r.health ? { status: r.health.status } : { error: r.error ?? 'no answer' };
}

/** Records the new state; says whether this call made the transition (and so should alert). */
async function record(ctx: WatchContext, agent: string, next: Omit<MonitorRecord, 'since'>): Promise<{ changed: boolean; previous?: MonitorRecord }> {
  const memory = ctx.store.memory;
  for (let attempt = 0; attempt < 5; attempt++) {
    const entry = await memory.get(MONITOR_NAMESPACE, agent);
    const previous = entry?.value as MonitorRecord | undefined;
    const changed = previous ? previous.state !== next.state : next.state === 'down';
    const since = previous && !changed ? previous.since : next.checkedAt;
    try {
      await memory.set(MONITOR_NAMESPACE, agent, { ...next, since }, { by: ctx.agent.name, ifVersion: entry?.version ?? 0 });
      return { changed, ...(previous ? { previous } : {}) };
    } catch (err) {
      if (!isAgentnetError(err, 'MEMORY_CONFLICT')) throw err;
      // Another monitor wrote first: read again; if it recorded this same change, it alerted.
    }
  }
  return { changed: false };
}

/** Probes each target; alerts the owner on a change of state (down, or back up), once. */
export async function checkAgents(ctx: WatchContext, targets: ResolvedAgent[], confirmMs: number) {
  return Promise.all(
    targets.map(async (a) => {
      const url = healthUrl(a.health.host, a.health.port);
      const r = await check(ctx, url, confirmMs);
      const now = new Date(ctx.clock.now()).toISOString();
      const next = { state: r.error ? ('down' as const) : ('up' as const), ...r, url, checkedAt: now };
      const { changed, previous } = await record(ctx, a.name, next);
      if (changed && next.state === 'down') {
        await ctx.alerter.send(`⚠️ ${a.name} (${a.role}) is down: ${r.error} at ${url}. ${ctx.agent.name} will tell you when it is back.`, { agent: a.name, state: 'down' });
      } else if (changed && previous) {
        const downFor = Date.parse(now) - Date.parse(previous.since);
        await ctx.alerter.send(`✅ ${a.name} (${a.role}) is back (${r.status}) after ${spellDuration(downFor)} down.`, { agent: a.name, state: 'up' });
      }
      if (changed) ctx.logger.warn({ agent: a.name, state: next.state, error: r.error }, next.state === 'down' ? 'agent down' : 'agent recovered');
      return { agent: a.name, ...next };
    }),
  );
}
