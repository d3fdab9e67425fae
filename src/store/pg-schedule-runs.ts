/**
 * Schedule runs on PostgreSQL. A record is one INSERT … ON CONFLICT DO NOTHING (the primary key
 * decides between two schedulers), a claim one conditional UPDATE … RETURNING, a cursor move one
 * upsert with GREATEST: no read-then-write races.
 */
import type pg from 'pg';
import { listFilter, scheduleRunFromRow, type ScheduleRunRow } from './schedule-run-rows.ts';
import { checkCursor, checkNewRun, initialOutcome, type ScheduleRun, type ScheduleRunKey, type ScheduleRuns } from './schedule-runs.ts';

/** The key's placeholders after `n` parameters. */
const keyAfter = (n: number) => `agent = $${n + 1} AND schedule = $${n + 2} AND due = $${n + 3}`;

export function createPgScheduleRuns(pool: pg.Pool, now: () => number): ScheduleRuns {
  const keyOf = (k: ScheduleRunKey) => [k.agent, k.schedule, Date.parse(k.due)];
  const one = async (text: string, params: unknown[]): Promise<ScheduleRun | undefined> => {
    const { rows } = await pool.query<ScheduleRunRow>(text, params);
    return rows[0] && scheduleRunFromRow(rows[0]);
  };
  const update = (set: string, k: ScheduleRunKey, params: unknown[]) => one(`UPDATE schedule_runs SET ${set} WHERE ${keyAfter(params.length)} RETURNING *`, [...params, ...keyOf(k)]);

  return {
    async cursor(agent, schedule) {
      const { rows } = await pool.query<{ considered: string }>('SELECT considered FROM schedule_cursors WHERE agent = $1 AND schedule = $2', [agent, schedule]);
      return rows[0] && new Date(Number(rows[0].considered)).toISOString();
    },

    async advance(agent, schedule, to, at = now()) {
      checkCursor(agent, schedule, to);
      const { rows } = await pool.query<{ considered: string }>(
        `INSERT INTO schedule_cursors (agent, schedule, considered, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (agent, schedule) DO UPDATE SET considered = GREATEST(schedule_cursors.considered, excluded.considered), updated_at = excluded.updated_at
         RETURNING considered`,
        [agent, schedule, Date.parse(to), at],
      );
      return new Date(Number(rows[0]!.considered)).toISOString();
    },

    async record(r) {
      checkNewRun(r);
      const inserted = await one(
        `INSERT INTO schedule_runs (agent, schedule, due, outcome, missed, slots, through, task, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (agent, schedule, due) DO NOTHING RETURNING *`,
        [r.agent, r.schedule, Date.parse(r.due), initialOutcome(r), r.missed ?? null, r.slots ?? 1, r.through ? Date.parse(r.through) : null, r.task ?? null, r.at ?? now()],
      );
      if (inserted) return { run: inserted, created: true };
      // The slot has a record: it gains the task if it has none (of two callers, the first task stays).
      if (r.task) {
        const attached = await one(
          `UPDATE schedule_runs SET task = $1, outcome = CASE outcome WHEN 'missed' THEN 'queued' ELSE outcome END WHERE ${keyAfter(1)} AND task IS NULL RETURNING *`,
          [r.task, ...keyOf(r)],
        );
        if (attached) return { run: attached, created: false };
      }
      return { run: (await one(`SELECT * FROM schedule_runs WHERE ${keyAfter(0)}`, keyOf(r)))!, created: false };
    },

    async started(k, task, at = now()) {
      return update("task = COALESCE(task, $1), started_at = COALESCE(started_at, $2), outcome = 'running', finished_at = NULL", k, [task, at]);
    },

    async finished(k, outcome, at = now(), task) {
      return update('outcome = $1, finished_at = $2, started_at = COALESCE(started_at, $2), task = COALESCE(task, $3)', k, [outcome, at, task ?? null]);
    },

    async claimMissed(agent, schedule, at = now()) {
      // One statement: a run claimed by a concurrent call no longer matches, so each is returned once.
      const { rows } = await pool.query<ScheduleRunRow>(
        'UPDATE schedule_runs SET reported_at = $1 WHERE agent = $2 AND schedule = $3 AND missed IS NOT NULL AND reported_at IS NULL RETURNING *',
        [at, agent, schedule],
      );
      return rows.map(scheduleRunFromRow).sort((a, b) => Date.parse(a.due) - Date.parse(b.due));
    },

    async list(o = {}) {
      const { where, params } = listFilter(o, (n) => `$${n}`);
      const { rows } = await pool.query<ScheduleRunRow>(`SELECT * FROM schedule_runs ${where} ORDER BY due DESC, agent, schedule LIMIT $${params.length + 1}`, [...params, o.limit ?? 100]);
      return rows.map(scheduleRunFromRow);
    },

    async missedSlots(agent, schedule) {
      const { rows } = await pool.query<{ n: string }>('SELECT COALESCE(SUM(slots), 0) AS n FROM schedule_runs WHERE agent = $1 AND schedule = $2 AND missed IS NOT NULL', [agent, schedule]);
      return Number(rows[0]!.n);
    },
  };
}
