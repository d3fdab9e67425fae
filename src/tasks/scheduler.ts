/**
 * Schedules: each cron slot becomes one task in the queue. The idempotency key is schedule +
 * slot, so a restart, a clock that went back, or two instances of the agent never create one
 * slot twice. A schedule with `catchUp` runs the latest slot it missed while the agent was
 * down, once, at start; slots that pass while the network is paused are skipped.
 */
import { Cron } from 'croner';
import type { AgentConfig } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import { enqueueTask, type Memory, type Task, type TaskQueue } from '../store/index.ts';
import { systemClock, type Clock } from '../agent/clock.ts';

export type ScheduleConfig = AgentConfig['schedules'][number];

export interface SchedulerOptions {
  agent: string;
  schedules: readonly ScheduleConfig[];
  queue: TaskQueue;
  memory: Memory;
  logger: Logger;
  /** Attempts a task of this kind gets (default: the kind's own, see enqueueTask). */
  maxAttempts?: (kind: string) => number;
  paused: () => boolean;
  clock?: Clock;
  /** Called with each task a slot created (tests, the worker's wake-up). */
  onEnqueued?: (task: Task) => void;
}

export interface Scheduler {
  /** The next slot of each schedule (ISO), for status. */
  next(): Record<string, string | null>;
  stop(): Promise<void>;
}

/** Memory namespace of the schedules' bookkeeping: `<agent>/<schedule>` → { until: ISO }. */
export const SCHEDULE_NAMESPACE = 'schedules';

/** The longest single sleep: a machine that slept, or a clock that was set, is noticed within this. */
const MAX_SLEEP_MS = 60_000;

export const slotKey = (agent: string, schedule: string, slot: Date) => `schedule:${agent}:${schedule}:${slot.toISOString()}`;

export function startScheduler(o: SchedulerOptions): Scheduler {
  const clock = o.clock ?? systemClock;
  const stopping = new AbortController();
  const crons = new Map(o.schedules.map((s) => [s.name, new Cron(s.cron, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) })]));
  const upcoming = new Map<string, Date | null>();

  const fire = async (s: ScheduleConfig, slot: Date, why: string) => {
    const key = `${o.agent}/${s.name}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const task = await enqueueTask(o.queue, {
          kind: s.task,
          payload: { ...s.payload, schedule: s.name, slot: slot.toISOString() },
          idempotencyKey: slotKey(o.agent, s.name, slot),
          ...(o.maxAttempts ? { maxAttempts: o.maxAttempts(s.task) } : {}),
        });
        await o.memory.set(SCHEDULE_NAMESPACE, key, { until: slot.toISOString(), task: task.id }, { by: o.agent });
        o.logger.info({ schedule: s.name, slot: slot.toISOString(), task: task.id, why }, 'schedule fired');
        o.onEnqueued?.(task);
        return;
      } catch (err) {
        // The store is briefly unavailable (locked, restarting): try again, then give the slot up loudly.
        if (attempt >= 5 || stopping.signal.aborted) {
          o.logger.error({ schedule: s.name, slot: slot.toISOString(), err }, 'could not enqueue the task of a schedule slot; the slot is skipped');
          return;
        }
        await clock.sleep(500 * 2 ** attempt, stopping.signal);
      }
    }
  };

  const run = async (s: ScheduleConfig, cron: Cron) => {
    const key = `${o.agent}/${s.name}`;
    const start = new Date(clock.now());
    const seen = await o.memory.get(SCHEDULE_NAMESPACE, key);
    const until = (seen?.value as { until?: string } | undefined)?.until;
    if (!until) {
      // First start: slots before now never belonged to this schedule.
      await o.memory.set(SCHEDULE_NAMESPACE, key, { until: start.toISOString() }, { by: o.agent });
    } else if (s.catchUp) {
      const missed = cron.previousRuns(1, start)[0];
      if (missed && missed.getTime() > Date.parse(until)) await fire(s, missed, 'catch-up');
    }
    let from = start;
    for (;;) {
      const next = cron.nextRun(from);
      upcoming.set(s.name, next);
      if (!next) return o.logger.info({ schedule: s.name }, 'schedule has no more slots');
      while (clock.now() < next.getTime()) await clock.sleep(Math.min(next.getTime() - clock.now(), MAX_SLEEP_MS), stopping.signal);
      // Woke late (the machine slept, the clock jumped): only the latest slot that passed runs.
      let slot = next;
      let skipped = 0;
      for (let later = cron.nextRun(slot); later && later.getTime() <= clock.now(); later = cron.nextRun(slot)) {
        slot = later;
        skipped++;
      }
      if (skipped) o.logger.warn({ schedule: s.name, skipped, slot: slot.toISOString() }, 'woke late: earlier slots skipped');
      if (o.paused()) o.logger.info({ schedule: s.name, slot: slot.toISOString() }, 'paused: slot skipped');
      else await fire(s, slot, 'due');
      from = slot;
    }
  };

  // A store error (locked, restarting) must not end a schedule for good: start it over shortly.
  const keep = async (s: ScheduleConfig, cron: Cron) => {
    while (!stopping.signal.aborted) {
      try {
        return await run(s, cron);
      } catch (err) {
        if (stopping.signal.aborted) return;
        o.logger.error({ schedule: s.name, err }, 'schedule failed; restarting it in 5 s');
        await clock.sleep(5000, stopping.signal).catch(() => {}); // rejects only when stopping aborts the wait
      }
    }
  };
  const loops = [...crons].map(([name, cron]) => keep(o.schedules.find((s) => s.name === name)!, cron));

  return {
    next: () => Object.fromEntries(o.schedules.map((s) => [s.name, upcoming.get(s.name)?.toISOString() ?? null])),
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}
