/** The schedule_runs table's rows, shared by the SQL backends: times are epoch ms (numbers from SQLite, strings from pg's bigint). */
import type { MissedReason, ScheduleRun, ScheduleRunOutcome } from './schedule-runs.ts';

type Ms = number | string;
const iso = (ms: Ms) => new Date(Number(ms)).toISOString();

export interface ScheduleRunRow {
  agent: string;
  schedule: string;
  due: Ms;
  outcome: ScheduleRunOutcome;
  missed: MissedReason | null;
  slots: number;
  through: Ms | null;
  task: string | null;
  recorded_at: Ms;
  started_at: Ms | null;
  finished_at: Ms | null;
  reported_at: Ms | null;
}

export function scheduleRunFromRow(r: ScheduleRunRow): ScheduleRun {
  const run: ScheduleRun = { agent: r.agent, schedule: r.schedule, due: iso(r.due), outcome: r.outcome, slots: Number(r.slots), recordedAt: iso(r.recorded_at) };
  if (r.missed !== null) run.missed = r.missed;
  if (r.through !== null) run.through = iso(r.through);
  if (r.task !== null) run.task = r.task;
  if (r.started_at !== null) run.startedAt = iso(r.started_at);
  if (r.finished_at !== null) run.finishedAt = iso(r.finished_at);
  if (r.reported_at !== null) run.reportedAt = iso(r.reported_at);
  return run;
}

/** The WHERE clause of a list, with `?` or `$n` placeholders from `mark`, and its parameters. */
export function listFilter(o: { agent?: string; schedule?: string; missed?: boolean; ran?: boolean }, mark: (n: number) => string): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    parts.push(`${column} = ${mark(params.length)}`);
  };
  eq('agent', o.agent);
  eq('schedule', o.schedule);
  if (o.missed !== undefined) parts.push(o.missed ? 'missed IS NOT NULL' : 'missed IS NULL');
  if (o.ran) parts.push('task IS NOT NULL');
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}
