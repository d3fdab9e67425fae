/**
 * Telling the owner of missed runs: slots that were due and did not start (the agent down, the
 * network paused, the machine asleep, the clock jumped). One bridge notification to the relay per
 * batch the scheduler claimed (each missed run is claimed once, see ScheduleRuns.claimMissed), saying
 * which slots, why, and whether the latest was caught up.
 */
import type { Bridge } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import type { MissedReason, ScheduleRun } from '../store/index.ts';
import { firstWithRole } from '../agent/routing.ts';
import { MAX_COUNTED_SLOTS, utcTime, type ScheduleConfig } from './slots.ts';

export interface MissedReport {
  schedule: ScheduleConfig;
  /** The missed runs claimed for this report, oldest first. */
  runs: ScheduleRun[];
  /** The schedule's next slot, if any. */
  next: Date | null;
}

/** Slots listed by time in one message at most; more are "…". */
const LISTED = 5;

function why(reason: MissedReason, agent: string): string {
  if (reason === 'down') return `${agent} was not running`;
  if (reason === 'paused') return 'the network was paused';
  return 'the machine slept or its clock jumped';
}

/** How many slots the runs stand for (a summary counts its slots). */
export const slotCount = (runs: readonly ScheduleRun[]) => runs.reduce((n, r) => n + r.slots, 0);

function slotList(runs: readonly ScheduleRun[]): string {
  const parts = runs.map((r) => (r.slots > 1 ? `${utcTime(r.due)} … ${utcTime(r.through!)} (${r.slots >= MAX_COUNTED_SLOTS ? `over ${MAX_COUNTED_SLOTS.toLocaleString('en')}` : r.slots.toLocaleString('en')} runs)` : utcTime(r.due)));
  return parts.length > LISTED ? `${parts.slice(0, 2).join(', ')}, …, ${parts.slice(-(LISTED - 2)).join(', ')}` : parts.join(', ');
}

/** The owner's message: `⏰ kaylee missed 3 runs of "nightly" (deploy): … Caught up once: …`. */
export function missedReportText(agent: string, r: MissedReport): string {
  const n = slotCount(r.runs);
  const reasons = [...new Set(r.runs.map((x) => x.missed!))].map((x) => why(x, agent)).join('; ');
  const head = `⏰ ${agent} missed ${n >= MAX_COUNTED_SLOTS ? 'over ' : ''}${n.toLocaleString('en')} run${n === 1 ? '' : 's'} of schedule "${r.schedule.name}" (${r.schedule.task}) because ${reasons}: ${slotList(r.runs)}.`;
  const caught = r.runs.filter((x) => x.task).at(-1);
  const next = r.next ? ` Next run: ${utcTime(r.next.toISOString())}.` : '';
  if (caught) return `${head} Caught up once: the ${utcTime(caught.due)} run (task ${caught.task}).${next}`;
  // With catchUp, a batch without a caught-up run is one whose latest slot started on time (scheduler.ts, consider).
  return `${head} ${r.schedule.catchUp ? 'Not caught up: the latest slot started on time.' : 'Not caught up (the schedule has no catchUp: true).'}${next}`;
}

/** Sends the report to the owner through the relay; returns the agent it went to (none without a relay). */
export async function sendMissedReport(o: { bridge: Bridge; config: Config; agent: string; redact: (s: string) => string }, r: MissedReport): Promise<string | undefined> {
  const relay = firstWithRole(o.config, 'relay');
  if (!relay || relay === o.agent) return undefined;
  const caught = r.runs.filter((x) => x.task).at(-1);
  const metadata = {
    schedule: r.schedule.name,
    missed: slotCount(r.runs),
    reasons: [...new Set(r.runs.map((x) => x.missed))],
    dues: r.runs.map((x) => x.due),
    ...(caught ? { caughtUp: caught.due, task: caught.task } : {}),
  };
  await o.bridge.append({ from: o.agent, to: relay, type: 'notification', content: o.redact(missedReportText(o.agent, r)), metadata });
  return relay;
}
