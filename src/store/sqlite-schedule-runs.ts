/** Schedule runs on SQLite: two tables beside the queue; every read-then-write in BEGIN IMMEDIATE, every claim one UPDATE … RETURNING. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { listFilter, scheduleRunFromRow, type ScheduleRunRow } from './schedule-run-rows.ts';
import { checkCursor, checkNewRun, initialOutcome, type ScheduleRun, type ScheduleRunKey, type ScheduleRuns } from './schedule-runs.ts';
import { immediate } from './sqlite-db.ts';

const KEY = 'agent = ? AND schedule = ? AND due = ?';

export function createSqliteScheduleRuns(db: DatabaseSync, now: () => number): ScheduleRuns {
  const prepared = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let stmt = prepared.get(text);
    if (!stmt) prepared.set(text, (stmt = db.prepare(text)));
    return stmt;
  };
  const keyOf = (k: ScheduleRunKey) => [k.agent, k.schedule, Date.parse(k.due)] as const;
  const read = (k: ScheduleRunKey): ScheduleRun | undefined => {
    const row = sql(`SELECT * FROM schedule_runs WHERE ${KEY}`).get(...keyOf(k)) as ScheduleRunRow | undefined;
    return row && scheduleRunFromRow(row);
  };
  const update = (set: string, k: ScheduleRunKey, ...params: Array<string | number | null>): ScheduleRun | undefined => {
    const row = sql(`UPDATE schedule_runs SET ${set} WHERE ${KEY} RETURNING *`).get(...params, ...keyOf(k)) as ScheduleRunRow | undefined;
    return row && scheduleRunFromRow(row);
  };

  return {
    async cursor(agent, schedule) {
      const row = sql('SELECT considered FROM schedule_cursors WHERE agent = ? AND schedule = ?').get(agent, schedule) as { considered: number } | undefined;
      return row && new Date(row.considered).toISOString();
    },

    async advance(agent, schedule, to, at = now()) {
      checkCursor(agent, schedule, to);
      const row = sql(`INSERT INTO schedule_cursors (agent, schedule, considered, updated_at) VALUES (?, ?, ?, ?)
                       ON CONFLICT (agent, schedule) DO UPDATE SET considered = max(considered, excluded.considered), updated_at = excluded.updated_at
                       RETURNING considered`).get(agent, schedule, Date.parse(to), at) as { considered: number };
      return new Date(row.considered).toISOString();
    },

    async record(r) {
      checkNewRun(r);
      return immediate(db, () => {
        const existing = read(r);
        if (existing) {
          if (existing.task || !r.task) return { run: existing, created: false };
          const run = update("task = ?, outcome = CASE outcome WHEN 'missed' THEN 'queued' ELSE outcome END", r, r.task)!;
          return { run, created: false };
        }
        sql(`INSERT INTO schedule_runs (agent, schedule, due, outcome, missed, slots, through, task, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(r.agent, r.schedule, Date.parse(r.due), initialOutcome(r), r.missed ?? null, r.slots ?? 1, r.through ? Date.parse(r.through) : null, r.task ?? null, r.at ?? now());
        return { run: read(r)!, created: true };
      });
    },

    async started(k, task, at = now()) {
      return update("task = COALESCE(task, ?), started_at = COALESCE(started_at, ?), outcome = 'running', finished_at = NULL", k, task, at);
    },

    async finished(k, outcome, at = now(), task) {
      return update('outcome = ?, finished_at = ?, started_at = COALESCE(started_at, ?), task = COALESCE(task, ?)', k, outcome, at, at, task ?? null);
    },

    async claimMissed(agent, schedule, at = now()) {
      // One statement: a run claimed by a concurrent call no longer matches, so each is returned once.
      const rows = sql('UPDATE schedule_runs SET reported_at = ? WHERE agent = ? AND schedule = ? AND missed IS NOT NULL AND reported_at IS NULL RETURNING *')
        .all(at, agent, schedule) as unknown as ScheduleRunRow[];
      return rows.map(scheduleRunFromRow).sort((a, b) => Date.parse(a.due) - Date.parse(b.due));
    },

    async list(o = {}) {
      const { where, params } = listFilter(o, () => '?');
      const rows = sql(`SELECT * FROM schedule_runs ${where} ORDER BY due DESC, agent, schedule LIMIT ?`).all(...(params as string[]), o.limit ?? 100) as unknown as ScheduleRunRow[];
      return rows.map(scheduleRunFromRow);
    },

    async missedSlots(agent, schedule) {
      const row = sql('SELECT COALESCE(SUM(slots), 0) AS n FROM schedule_runs WHERE agent = ? AND schedule = ? AND missed IS NOT NULL').get(agent, schedule) as { n: number };
      return Number(row.n);
    },
  };
}
