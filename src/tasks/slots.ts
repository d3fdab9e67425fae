/**
 * A schedule's slots: its cron, the idempotency key of a slot's task (and the slot a task was made
 * for), and the slots between two times, bounded, so a schedule every second after a month asleep
 * is counted, not listed.
 */
import { Cron } from 'croner';
import type { AgentConfig } from '../config/index.ts';
import type { ScheduleRunKey, Task } from '../store/index.ts';

export type ScheduleConfig = AgentConfig['schedules'][number];

/** Slots counted one by one at most; a longer gap is "over" this many. */
export const MAX_COUNTED_SLOTS = 100_000;

/** A slot for people: `2026-11-24 12:05 UTC` (with seconds when it has them). */
export const utcTime = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}${iso.slice(16, 19) === ':00' ? '' : iso.slice(16, 19)} UTC`;

/** The schedule's cron in its time zone (croner; never started: the scheduler asks it for times). */
export const cronOf = (s: Pick<ScheduleConfig, 'cron' | 'timezone'>): Cron => new Cron(s.cron, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) });

/** The idempotency key of a slot's task: a second enqueue of one slot returns the first task. */
export const slotKey = (agent: string, schedule: string, slot: Date) => `schedule:${agent}:${schedule}:${slot.toISOString()}`;

/** The slot a task was made for (from its idempotency key), or undefined for a task no schedule made. */
export function slotOfTask(task: Pick<Task, 'idempotencyKey'>): ScheduleRunKey | undefined {
  // Agent and schedule names have no ":" (config/schema.ts); the time has.
  const m = /^schedule:([^:]+):([^:]+):(.+)$/.exec(task.idempotencyKey ?? '');
  if (!m || Number.isNaN(Date.parse(m[3]!))) return undefined;
  return { agent: m[1]!, schedule: m[2]!, due: m[3]! };
}

export interface SlotSpan {
  /** The newest slots, oldest first (at most `keep`). */
  recent: Date[];
  /** The slots before those, not listed: the first, the last, and how many (at most MAX_COUNTED_SLOTS). */
  earlier?: { first: Date; last: Date; count: number };
}

/** The slots of `cron` after `after` up to and including `upTo`: the newest `keep` listed, the older ones counted. */
export function slotsBetween(cron: Cron, after: Date, upTo: Date, keep: number): SlotSpan {
  if (upTo.getTime() <= after.getTime()) return { recent: [] };
  // previousRuns excludes its reference; one ms later includes a slot at `upTo` itself.
  const newest = cron.previousRuns(keep + 1, new Date(upTo.getTime() + 1)).filter((d) => d.getTime() > after.getTime());
  if (newest.length <= keep) return { recent: newest.reverse() };
  const [last, ...recent] = newest.reverse();
  const first = cron.nextRun(after)!;
  let count = 1;
  for (let d = first; count < MAX_COUNTED_SLOTS; count++) {
    const next = cron.nextRun(d);
    if (!next || next.getTime() > last!.getTime()) break;
    d = next;
  }
  return { recent, earlier: { first, last: last!, count } };
}
