/** Each configured schedule with its last run, its next slot and its missed runs: what `agentnet schedules` and the dashboard show. */
import type { Config } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import type { MissedReason, ScheduleRun, ScheduleRuns } from '../store/index.ts';
import { cronOf, utcTime } from './slots.ts';

export interface ScheduleOverview {
  agent: string;
  schedule: string;
  cron: string;
  timezone?: string;
  task: string;
  catchUp: boolean;
  /** The latest run that made a task (on time, or a missed one caught up). */
  lastRun?: ScheduleRun;
  /** The next slot (ISO) after now; null when the cron has no more. */
  next: string | null;
  /** Missed slots all told (a summary record counts its slots), and the latest missed run. */
  missed: { slots: number; last?: ScheduleRun };
}

/** Every schedule of the config (or of one agent, AGENT_UNKNOWN when it is not there), in config order. */
export async function scheduleOverview(config: Config, runs: ScheduleRuns, now = Date.now(), agent?: string): Promise<ScheduleOverview[]> {
  if (agent !== undefined && !Object.hasOwn(config.agents, agent)) {
    throw new AgentnetError('AGENT_UNKNOWN', `no agent "${agent}" in the config; agents: ${Object.keys(config.agents).join(', ')}`);
  }
  const entries = Object.entries(config.agents).filter(([name]) => agent === undefined || name === agent);
  return Promise.all(
    entries.flatMap(([name, a]) =>
      a.schedules.map(async (s): Promise<ScheduleOverview> => {
        const [[lastRun], [lastMissed], slots] = await Promise.all([
          runs.list({ agent: name, schedule: s.name, ran: true, limit: 1 }),
          runs.list({ agent: name, schedule: s.name, missed: true, limit: 1 }),
          runs.missedSlots(name, s.name),
        ]);
        return {
          agent: name,
          schedule: s.name,
          cron: s.cron,
          ...(s.timezone ? { timezone: s.timezone } : {}),
          task: s.task,
          catchUp: s.catchUp,
          ...(lastRun ? { lastRun } : {}),
          next: cronOf(s).nextRun(new Date(now))?.toISOString() ?? null,
          missed: { slots, ...(lastMissed ? { last: lastMissed } : {}) },
        };
      }),
    ),
  );
}

const REASON: Record<MissedReason, string> = { down: 'agent down', paused: 'network paused', late: 'machine asleep or clock jumped' };

const clock = (iso: string) => iso.slice(11, 19);

/** A run in one line: `2026-11-24 12:05 UTC success (started 12:05:01, finished 12:05:03)`. */
export function describeRun(r: ScheduleRun): string {
  const times = [r.startedAt && `started ${clock(r.startedAt)}`, r.finishedAt && `finished ${clock(r.finishedAt)}`].filter(Boolean).join(', ');
  const missed = r.missed ? `, missed (${REASON[r.missed]})${r.task ? ' and caught up' : ''}` : '';
  return `${utcTime(r.due)} ${r.outcome}${times ? ` (${times})` : ''}${missed}`;
}

/** The missed runs in one line: `none`, or `3, the latest 2026-11-24 12:20 UTC (agent down), caught up`. */
export function describeMissed(m: ScheduleOverview['missed']): string {
  if (!m.last) return 'none';
  const l = m.last;
  return `${m.slots.toLocaleString('en')}, the latest ${utcTime(l.through ?? l.due)} (${REASON[l.missed!]})${l.task ? `, caught up: ${l.outcome}` : ''}`;
}
