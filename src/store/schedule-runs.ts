/**
 * The ScheduleRuns contract: the record of every slot of every schedule (when it was due, the
 * task it made, when that started and finished, how it ended) and of every slot that was due and
 * did not start, a missed run. One record per agent, schedule and slot: the first writer wins, so
 * two schedulers recording one slot leave one record. Beside the records, each schedule's cursor:
 * the last slot its scheduler considered, so the slots missed while it was down are found at the
 * next start. Every backend implements exactly this.
 */
import { AgentnetError } from '../errors.ts';

/**
 * `missed`: due, not started, and no task (not caught up); `queued`: its task waits; `running`:
 * started, not finished (also between the attempts of a retried task); `success`, `failure`,
 * `not-run` (an approval denied or expired): how its task ended.
 */
export const SCHEDULE_RUN_OUTCOMES = ['missed', 'queued', 'running', 'success', 'failure', 'not-run'] as const;
export type ScheduleRunOutcome = (typeof SCHEDULE_RUN_OUTCOMES)[number];
export type FinishedOutcome = Extract<ScheduleRunOutcome, 'success' | 'failure' | 'not-run'>;

/** Why a slot did not start in time: the agent was not running, the network was paused, or the scheduler woke after it (the machine slept, the clock jumped). */
export const MISSED_REASONS = ['down', 'paused', 'late'] as const;
export type MissedReason = (typeof MISSED_REASONS)[number];

export interface ScheduleRun {
  agent: string;
  schedule: string;
  /** The slot, ISO-8601. */
  due: string;
  outcome: ScheduleRunOutcome;
  /** Set when the slot did not start in time (it may still have run, caught up: then it has a task). */
  missed?: MissedReason;
  /** How many slots the record stands for: over 1 for the summary of a long gap, `due` to `through`, whose slots are not recorded one by one. */
  slots: number;
  through?: string;
  /** The task the slot made (a missed slot's, only when it was caught up). */
  task?: string;
  recordedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** When the owner was told of this missed run (see claimMissed). */
  reportedAt?: string;
}

/** Which run: the schedule's agent, the schedule's name and the slot (ISO). */
export interface ScheduleRunKey {
  agent: string;
  schedule: string;
  due: string;
}

export interface NewScheduleRun extends ScheduleRunKey {
  missed?: MissedReason;
  /** A summary of several missed slots: how many (default 1), and the last one. */
  slots?: number;
  through?: string;
  task?: string;
  /** The time of the record (ms since the epoch); default the store's clock. */
  at?: number;
}

export interface ListScheduleRunsOptions {
  agent?: string;
  schedule?: string;
  /** true: only missed runs (caught up or not); false: only the runs that were not missed. */
  missed?: boolean;
  /** true: only the runs that made a task. */
  ran?: boolean;
  /** The newest N (default 100). */
  limit?: number;
}

export interface ScheduleRuns {
  /** The last slot the schedule's scheduler considered (ISO), or undefined before its first start. */
  cursor(agent: string, schedule: string): Promise<string | undefined>;
  /** Moves the cursor to `to` unless it is there or later already (never back); returns where it is now. */
  advance(agent: string, schedule: string, to: string, at?: number): Promise<string>;
  /**
   * Records a run once: the first record of a slot wins (`created: false` and that record for
   * every later one). A later call with a task gives a record without one its task (a missed slot
   * caught up, or recorded missed while its task was being made); nothing else changes.
   */
  record(run: NewScheduleRun): Promise<{ run: ScheduleRun; created: boolean }>;
  /** The run's task was claimed: running, started at its first claim. Undefined when the slot has no record. */
  started(key: ScheduleRunKey, task: string, at?: number): Promise<ScheduleRun | undefined>;
  /**
   * The run's task is over; `task` is attached when the record has none (a task left from before a
   * crash can be claimed before its slot is recorded as missed). Undefined when the slot has no record.
   */
  finished(key: ScheduleRunKey, outcome: FinishedOutcome, at?: number, task?: string): Promise<ScheduleRun | undefined>;
  /** The schedule's missed runs nobody was told of yet, now marked told, oldest first: each is returned to one caller only. */
  claimMissed(agent: string, schedule: string, at?: number): Promise<ScheduleRun[]>;
  /** The newest runs first. */
  list(options?: ListScheduleRunsOptions): Promise<ScheduleRun[]>;
  /** How many slots of the schedule were missed, all told (a summary counts its slots). */
  missedSlots(agent: string, schedule: string): Promise<number>;
}

const isIso = (s: string | undefined) => typeof s === 'string' && !Number.isNaN(Date.parse(s));

/** Checks a run before it is stored. */
export function checkNewRun(r: NewScheduleRun): void {
  if (!r.agent || !r.schedule || !isIso(r.due)) throw new AgentnetError('USAGE', 'a schedule run needs agent, schedule and due (an ISO time)');
  if (r.missed !== undefined && !MISSED_REASONS.includes(r.missed)) throw new AgentnetError('USAGE', `a missed run's reason is one of ${MISSED_REASONS.join(', ')}, got "${r.missed}"`);
  const slots = r.slots ?? 1;
  if (!Number.isInteger(slots) || slots < 1) throw new AgentnetError('USAGE', `a schedule run stands for 1 slot or more, got ${r.slots}`);
  if (slots > 1 && (!r.missed || !isIso(r.through) || Date.parse(r.through!) <= Date.parse(r.due))) {
    throw new AgentnetError('USAGE', 'a record of several slots is a missed run with `through`, its last slot, after `due`');
  }
}

/** Checks a cursor move. */
export function checkCursor(agent: string, schedule: string, to: string): void {
  if (!agent || !schedule || !isIso(to)) throw new AgentnetError('USAGE', 'a schedule cursor needs agent, schedule and an ISO time');
}

/** The outcome a new record starts with. */
export const initialOutcome = (r: NewScheduleRun): ScheduleRunOutcome => (r.task ? 'queued' : 'missed');
