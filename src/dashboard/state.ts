/** What the dashboard shows, gathered from the agents' /health, the bridge and the store. */
import type { Bridge, BridgeMessage } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import { collectStatus, type NetworkStatus } from '../agent/network-status.ts';
import type { Approval, Store, Task, TaskState } from '../store/index.ts';
import { scheduleOverview, type ScheduleOverview } from '../tasks/overview.ts';

export interface Thread {
  request: BridgeMessage;
  /** Responses to it, oldest first. */
  responses: BridgeMessage[];
}

export interface DashboardState {
  at: string;
  status: NetworkStatus;
  /** The latest conversations: requests and notifications, with their responses. */
  threads: Thread[];
  /** Per agent (sender), per message type: counts per minute, oldest minute first. */
  counts: Record<string, Record<string, number[]>>;
  /** The minutes `counts` covers. */
  minutes: number;
  queue?: Record<TaskState, number>;
  /** Recent task runs, newest first, and every dead-lettered task. */
  tasks: Task[];
  dead: Task[];
  /** Approvals waiting for the owner's yes, oldest first (one whose time ran out stays here until an agent marks it expired). */
  pending: Approval[];
  /** The latest decided or expired approvals, newest first: at most PAST_APPROVALS. */
  past: Approval[];
  /** Each schedule's last run, next run and missed runs (with a store). */
  schedules: ScheduleOverview[];
}

export const CHART_MINUTES = 30;
const THREADS = 25;
/** How many decided or expired approvals the page lists. */
export const PAST_APPROVALS = 20;

/** The pending approvals, and the newest decided or expired ones (each status read on its own, so many pending never crowd them out). */
async function collectApprovals(store: Store | undefined): Promise<Pick<DashboardState, 'pending' | 'past'>> {
  if (!store) return { pending: [], past: [] };
  const [pending, ...settled] = await Promise.all([
    store.approvals.list({ status: 'pending' }),
    ...(['approved', 'denied', 'expired'] as const).map((status) => store.approvals.list({ status, limit: PAST_APPROVALS })),
  ]);
  const settledAt = (a: Approval) => Date.parse(a.decidedAt ?? a.expiresAt);
  const past = settled.flat().sort((a, b) => settledAt(b) - settledAt(a) || Date.parse(b.requestedAt) - Date.parse(a.requestedAt));
  return { pending, past: past.slice(0, PAST_APPROVALS) };
}

export async function collectDashboard(config: Config, bridge: Bridge, store: Store | undefined, now = Date.now()): Promise<DashboardState> {
  const since = new Date(now - CHART_MINUTES * 60_000);
  // One read of the bridge serves both the timeline and the chart.
  const [status, all, queue, tasks, dead, approvals, schedules] = await Promise.all([
    collectStatus(config, bridge, { timeoutMs: 1000, ...(store ? { memory: store.memory } : {}) }),
    bridge.list({}),
    store?.queue.stats(),
    store ? store.queue.list({ limit: 12 }) : Promise.resolve([]),
    store ? store.queue.list({ state: 'dead', limit: 20 }) : Promise.resolve([]),
    collectApprovals(store),
    store ? scheduleOverview(config, store.scheduleRuns, now) : Promise.resolve([]),
  ]);

  const recent = all.slice(-200);
  const counts: DashboardState['counts'] = {};
  for (const m of all) {
    const minute = Math.floor((Date.parse(m.ts) - since.getTime()) / 60_000);
    if (minute < 0 || minute >= CHART_MINUTES) continue;
    const byType = (counts[m.from] ??= {});
    (byType[m.type] ??= new Array<number>(CHART_MINUTES).fill(0))[minute]!++;
  }

  // Responses hang under the request they answer; a response whose request is older stands alone.
  const byId = new Map<string, Thread>();
  const threads: Thread[] = [];
  for (const m of recent) {
    const parent = m.replyTo ? byId.get(m.replyTo) : undefined;
    if (parent) parent.responses.push(m);
    else {
      const t = { request: m, responses: [] };
      byId.set(m.id, t);
      threads.push(t);
    }
  }
  return {
    at: new Date(now).toISOString(),
    status,
    threads: threads.slice(-THREADS).reverse(),
    counts,
    minutes: CHART_MINUTES,
    ...(queue ? { queue } : {}),
    tasks: [...tasks].reverse(),
    dead: [...dead].reverse(),
    ...approvals,
    schedules,
  };
}
