/** The network's state: every agent's /health, pending bridge messages per agent, PAUSE; and its short form for a chat. */
import type { Bridge, BridgeMessage } from '../bridge/index.ts';
import type { ChannelReport } from '../channels/channel.ts';
import { spellDuration } from '../channels/channel-health.ts';
import type { Config } from '../config/index.ts';
import { readNetworkPause, readPause, type PauseState } from './pause.ts';
import type { HealthReport } from './health.ts';
import { healthUrl, probe } from './health-probe.ts';
import { recipientOf } from './routing.ts';
import type { Memory } from '../store/index.ts';

export interface AgentStatus {
  agent: string;
  role: string;
  url: string;
  /** `down` when /health did not answer. */
  state: 'ok' | 'paused' | 'degraded' | 'down';
  health?: HealthReport;
  error?: string;
  pending: number;
  /** What the last health watch (a monitor task, the relay's watch) recorded of this agent. */
  watched?: { state: 'up' | 'down'; since: string; checkedAt: string; by: string; error?: string };
}

export interface NetworkStatus {
  network: string;
  pause: PauseState;
  agents: AgentStatus[];
  /** Work waiting for an agent: pending messages addressed to one of the network's agents. */
  pending: number;
  /** Pending answers addressed to a person (not an agent), read with `agentnet inbox`. */
  inbox: number;
}

/** Whether a pending message waits in a person's inbox: addressed to a name that is no agent of the network. */
export function forPerson(msg: BridgeMessage, config: Config): boolean {
  const to = recipientOf(msg, config);
  return to !== undefined && config.agents[to] === undefined;
}

export async function collectStatus(config: Config, bridge: Bridge, options: { timeoutMs?: number; memory?: Memory } = {}): Promise<NetworkStatus> {
  const pendingBy = new Map<string, number>();
  let pending = 0;
  let inbox = 0;
  for (const m of await bridge.list({ status: 'pending' })) {
    if (forPerson(m, config)) {
      inbox++;
      continue;
    }
    pending++;
    const to = recipientOf(m, config) ?? '';
    pendingBy.set(to, (pendingBy.get(to) ?? 0) + 1);
  }
  const agents = await Promise.all(
    Object.values(config.agents).map(async (a): Promise<AgentStatus> => {
      const url = healthUrl(a.health.host, a.health.port);
      const [{ health, error }, record] = await Promise.all([probe(url, options.timeoutMs ?? 1500), options.memory?.get('monitor', a.name).catch(() => undefined)]); // the monitor's record only adds to the probe: without the store, the probe alone
      const w = record?.value as { state?: 'up' | 'down'; since?: string; checkedAt?: string; error?: string } | undefined;
      return {
        agent: a.name,
        role: a.role,
        url,
        state: health ? health.status : 'down',
        ...(health ? { health } : {}),
        ...(error ? { error } : {}),
        pending: pendingBy.get(a.name) ?? 0,
        ...(w?.state && w.since && w.checkedAt
          ? { watched: { state: w.state, since: w.since, checkedAt: w.checkedAt, by: record!.writtenBy, ...(w.error ? { error: w.error } : {}) } }
          : {}),
      };
    }),
  );
  // The store unreachable: the PAUSE file of this machine still says whether the network is paused.
  const pause = await readNetworkPause(config, options.memory).catch(() => readPause(config.stateDir));
  return { network: config.network, pause, agents, pending, inbox };
}

/** How long ago an ISO time was, briefly (`42s ago`, `5m ago`, `3h ago`). */
export const ago = (iso: string | null | undefined) => {
  if (!iso) return '-';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

/**
 * A relay's channel in one line, for `agentnet status` and the dashboard: ok or degraded and why,
 * when the receiving side last completed a cycle against the interval expected, the last canary.
 * `ago` spells an ISO time the way the surface does.
 */
export function channelSummary(c: ChannelReport, ago: (iso: string) => string): string {
  const r = c.receive;
  const parts = [`${c.type}${r ? ` (${r.mode})` : ''} ${c.ok ? 'ok' : `degraded: ${c.problems.join('; ')}`}`];
  if (r) parts.push(`last receive cycle ${r.lastCycleAt ? ago(r.lastCycleAt) : 'none yet'} (expected within ${spellDuration(r.expectedWithinMs)})`);
  if (c.canary) parts.push(`canary ${ago(c.canary.at)}: ${c.canary.ok ? 'ok' : 'failed'}, ${c.canary.detail}`);
  else if (r) parts.push('no canary yet');
  return parts.join('; ');
}

/** The words of the short status, in the owner's language (the relay answers "סטטוס" in Hebrew). */
const SHORT = {
  en: { running: 'running', paused: 'PAUSED', state: { ok: 'ok', paused: 'paused', degraded: 'degraded', down: 'down' }, pending: 'pending', downSince: 'down since' },
  he: { running: 'פועלת', paused: 'מושהית', state: { ok: 'תקין', paused: 'מושהה', degraded: 'פועל חלקית', down: 'לא זמין' }, pending: 'ממתינות', downSince: 'לא זמין מאז' },
} as const;

/** A few short lines, for a chat reply. */
export function formatStatusShort(s: NetworkStatus, lang: 'en' | 'he' = 'en'): string {
  const w = SHORT[lang];
  const lines = s.agents.map(
    (a) =>
      `${a.state === 'ok' ? '✅' : a.state === 'down' ? '❌' : '⏸️'} ${a.agent} (${a.role}): ${w.state[a.state]}${a.pending ? `, ${a.pending} ${w.pending}` : ''}` +
      (a.watched?.state === 'down' ? `, ${w.downSince} ${ago(a.watched.since)}` : ''),
  );
  return [`${s.network}: ${s.pause.paused ? w.paused : w.running}`, ...lines].join('\n');
}
