/**
 * Schedules: each cron slot becomes one task in the queue, and one record in the store's schedule
 * runs. The task's idempotency key is schedule + slot and a slot has one record, so a restart, a
 * clock that went back, or two instances of the agent never run or record one slot twice.
 *
 * The scheduler keeps, per schedule, the last slot it considered (the cursor, in the store). At
 * start, and each time it wakes, it looks at the slots since then: the latest one starts if it is
 * at most `graceMs` late; every other one is a missed run (the agent was down, the network paused,
 * the machine slept, the clock jumped), recorded (the newest ten one by one, older ones in one
 * summary record), its latest caught up once when the schedule says `catchUp`, and the owner told
 * once (see missed.ts).
 */
import type { Cron } from 'croner';
import { systemClock, type Clock } from '../agent/clock.ts';
import type { Logger } from '../log/logger.ts';
import { enqueueTask, type Memory, type MissedReason, type ScheduleRuns, type Task, type TaskQueue } from '../store/index.ts';
import type { MissedReport } from './missed.ts';
import { cronOf, slotKey, slotsBetween, type ScheduleConfig, type SlotSpan } from './slots.ts';

export interface SchedulerOptions {
  agent: string;
  schedules: readonly ScheduleConfig[];
  queue: TaskQueue;
  /** The record of every slot, and each schedule's cursor. */
  runs: ScheduleRuns;
  /** Where the cursor was kept before the store had schedule runs; read once when the store has none. */
  memory?: Memory;
  logger: Logger;
  /** Attempts a task of this kind gets (default: the kind's own, see enqueueTask). */
  maxAttempts?: (kind: string) => number;
  paused: () => boolean;
  /** Resolves when the network is not paused; rejects when `signal` aborts. */
  untilResumed: (signal: AbortSignal) => Promise<void>;
  /** Tells the owner of missed runs; each missed run is given to it once, whichever scheduler claims it. */
  reportMissed: (report: MissedReport) => Promise<void>;
  clock?: Clock;
  /** Called with each task a slot created (tests, the worker's wake-up). */
  onEnqueued?: (task: Task) => void;
}

export interface Scheduler {
  /** The next slot of each schedule (ISO), for status. */
  next(): Record<string, string | null>;
  stop(): Promise<void>;
}

/** Missed slots recorded one by one after a gap; older ones go into one summary record. */
export const MISSED_RECORDED = 10;

/** Memory namespace where the cursor was kept before schedule runs had a table: `<agent>/<schedule>` → { until: ISO }. */
const LEGACY_NAMESPACE = 'schedules';

/** The longest single sleep: a machine that slept, or a clock that was set, is noticed within this. */
const MAX_SLEEP_MS = 60_000;

interface Ctx extends SchedulerOptions {
  clock: Clock;
  signal: AbortSignal;
}

export function startScheduler(o: SchedulerOptions): Scheduler {
  const stopping = new AbortController();
  const c: Ctx = { ...o, clock: o.clock ?? systemClock, signal: stopping.signal };
  const upcoming = new Map<string, Date | null>();
  const loops = o.schedules.map((s) => keepRunning(c, s, upcoming));
  return {
    next: () => Object.fromEntries(o.schedules.map((s) => [s.name, upcoming.get(s.name)?.toISOString() ?? null])),
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

/** A store error (locked, restarting) must not end a schedule for good: start it over shortly (the slots meanwhile are found as missed). */
async function keepRunning(c: Ctx, s: ScheduleConfig, upcoming: Map<string, Date | null>): Promise<void> {
  const cron = cronOf(s);
  while (!c.signal.aborted) {
    try {
      return await runSchedule(c, s, cron, upcoming);
    } catch (err) {
      if (c.signal.aborted) return;
      c.logger.error({ schedule: s.name, err }, 'schedule failed; restarting it in 5 s');
      await c.clock.sleep(5000, c.signal).catch(() => {}); // rejects only when stopping aborts the wait
    }
  }
}

/** One schedule: the slots missed while the agent was down, then each slot as it comes. */
async function runSchedule(c: Ctx, s: ScheduleConfig, cron: Cron, upcoming: Map<string, Date | null>): Promise<void> {
  let cursor = await startCursor(c, s);
  for (let reason: MissedReason = 'down'; ; ) {
    cursor = await consider(c, s, cron, cursor, reason);
    const next = cron.nextRun(cursor);
    upcoming.set(s.name, next);
    if (!next) return c.logger.info({ schedule: s.name }, 'schedule has no more slots');
    while (c.clock.now() < next.getTime()) await c.clock.sleep(Math.min(next.getTime() - c.clock.now(), MAX_SLEEP_MS), c.signal);
    reason = 'late';
    if (c.paused()) {
      c.logger.info({ schedule: s.name, slot: next.toISOString() }, 'paused: the slot waits for the resume');
      await c.untilResumed(c.signal);
      reason = 'paused';
    }
  }
}

/** Where the schedule stopped: its cursor, the legacy one, or now on its first start (slots before that never belonged to it). */
async function startCursor(c: Ctx, s: ScheduleConfig): Promise<Date> {
  const stored = (await c.runs.cursor(c.agent, s.name)) ?? ((await c.memory?.get(LEGACY_NAMESPACE, `${c.agent}/${s.name}`))?.value as { until?: string } | undefined)?.until;
  if (stored) return new Date(stored);
  const now = new Date(c.clock.now());
  await c.runs.advance(c.agent, s.name, now.toISOString(), now.getTime());
  return now;
}

/**
 * The slots after the cursor up to now: the latest starts if it is at most graceMs late (and the
 * network is not paused); the others are missed for `reason`, the latest of them caught up when
 * the schedule says so. Then the cursor moves, and the owner is told of what was missed. Returns
 * the new cursor.
 */
async function consider(c: Ctx, s: ScheduleConfig, cron: Cron, cursor: Date, reason: MissedReason): Promise<Date> {
  const now = c.clock.now();
  const span = slotsBetween(cron, cursor, new Date(now), MISSED_RECORDED + 1);
  const latest = span.recent.at(-1);
  if (latest) {
    const onTime = now - latest.getTime() <= s.graceMs && !c.paused() ? latest : undefined;
    const missed = await recordMissed(c, s, onTime ? { ...span, recent: span.recent.slice(0, -1) } : span, reason, now);
    if (onTime) await fire(c, s, onTime, 'due');
    else if (s.catchUp && missed) await fire(c, s, missed, 'catch-up');
    await c.runs.advance(c.agent, s.name, latest.toISOString(), now);
  }
  await tellMissed(c, s, cron);
  return latest ?? cursor;
}

/** Records the missed slots (at most MISSED_RECORDED one by one, the older ones in one summary); returns the latest. */
async function recordMissed(c: Ctx, s: ScheduleConfig, span: SlotSpan, reason: MissedReason, at: number): Promise<Date | undefined> {
  let { recent, earlier } = span;
  if (recent.length > MISSED_RECORDED) {
    // One more than the listed ones was asked for, in case the latest starts on time: it did not, so the oldest joins the summary.
    const [oldest, ...rest] = recent;
    earlier = { first: earlier?.first ?? oldest!, last: oldest!, count: (earlier?.count ?? 0) + 1 };
    recent = rest;
  }
  const base = { agent: c.agent, schedule: s.name, missed: reason, at };
  if (earlier) {
    const many = earlier.count > 1 ? { slots: earlier.count, through: earlier.last.toISOString() } : {};
    await c.runs.record({ ...base, due: earlier.first.toISOString(), ...many });
  }
  for (const slot of recent) await c.runs.record({ ...base, due: slot.toISOString() });
  const count = recent.length + (earlier?.count ?? 0);
  if (count) c.logger.warn({ schedule: s.name, missed: count, reason, from: (earlier?.first ?? recent[0])!.toISOString(), to: recent.at(-1)?.toISOString() ?? earlier!.last.toISOString() }, 'missed slots recorded');
  return recent.at(-1) ?? earlier?.last;
}

/** Enqueues the slot's task (idempotent: one task per slot) and records it on the slot's run; a store error is retried, then thrown. */
async function fire(c: Ctx, s: ScheduleConfig, slot: Date, why: 'due' | 'catch-up'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const task = await enqueueTask(c.queue, {
        kind: s.task,
        payload: { ...s.payload, schedule: s.name, slot: slot.toISOString() },
        idempotencyKey: slotKey(c.agent, s.name, slot),
        ...(c.maxAttempts ? { maxAttempts: c.maxAttempts(s.task) } : {}),
      });
      await c.runs.record({ agent: c.agent, schedule: s.name, due: slot.toISOString(), task: task.id, at: c.clock.now() });
      c.logger.info({ schedule: s.name, slot: slot.toISOString(), task: task.id, why }, 'schedule fired');
      c.onEnqueued?.(task);
      return;
    } catch (err) {
      // The store is briefly unavailable (locked, restarting): try again; then the schedule starts over and finds the slot missed.
      if (attempt >= 5 || c.signal.aborted) throw err;
      await c.clock.sleep(500 * 2 ** attempt, c.signal);
    }
  }
}

/** Claims the schedule's missed runs nobody was told of (this pass's, or a crashed one's) and tells the owner, once. */
async function tellMissed(c: Ctx, s: ScheduleConfig, cron: Cron): Promise<void> {
  const now = c.clock.now();
  const runs = await c.runs.claimMissed(c.agent, s.name, now);
  if (runs.length === 0) return;
  try {
    await c.reportMissed({ schedule: s, runs, next: cron.nextRun(new Date(now)) });
  } catch (err) {
    // Claimed and not sent: like a lost task's report (lost.ts), at most once; the record stays, and `agentnet schedules` shows it.
    c.logger.error({ schedule: s.name, err, missed: runs.map((r) => r.due) }, 'could not tell the owner of missed runs');
  }
}
