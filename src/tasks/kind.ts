/** The contract of a task kind the autonomous agent runs: monitor, rotate-bridge, deploy, code-review, prompt. */
import type { Bridge } from '../bridge/index.ts';
import type { AgentConfig, Config, ResolvedAgent } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Model } from '../models/model.ts';
import type { Alerter } from '../agent/health-watch.ts';
import type { Clock } from '../agent/clock.ts';
import type { Store, Task } from '../store/index.ts';
import type { Tool } from '../agent/tools/index.ts';
import type { GatedAction } from '../agent/approvals.ts';

export type Recipient = 'owner' | 'orchestrator';

export interface TaskContext {
  task: Task;
  agent: ResolvedAgent;
  config: Config;
  bridge: Bridge;
  store: Store;
  model: Model;
  /** The agent's system prompt. */
  prompt: string;
  /** The tools the config grants the agent. */
  tools: Tool[];
  logger: Logger;
  alerter: Alerter;
  clock: Clock;
  /** Aborts when the agent stops or the task's lease is lost. */
  signal: AbortSignal;
}

export interface TaskOutcome {
  /** One line: what was done. */
  summary: string;
  /** More: the last lines of output, a review. Goes into the report. */
  detail?: string;
  /** Stored as the task's result. */
  result?: unknown;
  /** Report even if nobody asked (default: report to the task's `notify`). */
  notify?: Recipient[];
  /** The task did not run, and will not: the owner denied it, or did not answer in time. Not a failure. */
  notRun?: boolean;
  /** Not yet: the task waits (for the owner's yes) and is claimed again after this many ms; no report. */
  waitMs?: number;
}

export interface TaskKind {
  name: string;
  /** Who hears about a finished task unless its payload says `notify`. */
  notify: Recipient[];
  /** Resolves with what was done; throws (a TaskFailure, or anything) when it did not succeed. */
  run(ctx: TaskContext): Promise<TaskOutcome>;
  /**
   * The action this task takes, when an `approve:` key of its own can name it (deploy: the
   * deployment), and who hears that it did not run. Throws, as `run` would, when the payload
   * names nothing runnable: nothing is asked about a task that cannot run.
   */
  approval?(ctx: TaskContext): { action: GatedAction; notify?: Recipient[] };
  /**
   * What a schedule of this kind must carry in its payload, checked when the config is loaded
   * (the config schema knows a payload only as an object). Without it, any payload will do.
   */
  checkPayload?(payload: Record<string, unknown> | undefined, agent: AgentConfig): PayloadProblem[];
}

/** A schedule's payload lacks something its kind needs: the payload key, and what to write there. */
export interface PayloadProblem {
  key: string;
  message: string;
}

/** A schedule of `kind` names one of the agent's config entries in its payload (`{deployment: "web"}`). */
export function namesEntry(kind: string, key: 'deployment' | 'review', payload: Record<string, unknown> | undefined, entries: Record<string, unknown>): PayloadProblem[] {
  const value = payload?.[key];
  if (typeof value === 'string' && value in entries) return [];
  return [{ key, message: `a ${kind} schedule names one of this agent's ${key}s: ${Object.keys(entries).join(', ') || '(none defined)'}` }];
}

/** A task that did not succeed. `retry: false` when trying again cannot help (bad payload, exit code). */
export class TaskFailure extends AgentnetError {
  readonly retry: boolean;
  readonly detail: string | undefined;
  /** Who hears about it (the owner always does when it was the last attempt). */
  readonly notify: Recipient[] | undefined;
  constructor(message: string, options: { retry?: boolean; detail?: string; notify?: Recipient[]; cause?: unknown } = {}) {
    super('TASK_FAILED', message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retry = options.retry ?? true;
    this.detail = options.detail;
    this.notify = options.notify;
  }
}

/** The payload as an object (a task enqueued by hand may carry anything). */
export const payloadOf = (task: Task): Record<string, unknown> =>
  task.payload && typeof task.payload === 'object' && !Array.isArray(task.payload) ? (task.payload as Record<string, unknown>) : {};

/** The config entry a task names in its payload (`{deployment: "web"}`), or a failure listing the ones there are. */
export function namedEntry<T>(ctx: TaskContext, key: 'deployment' | 'review', entries: Record<string, T>): { name: string; entry: T } {
  const name = payloadOf(ctx.task)[key];
  const entry = typeof name === 'string' && Object.hasOwn(entries, name) ? entries[name] : undefined;
  if (typeof name !== 'string' || entry === undefined) {
    throw new TaskFailure(`no ${key} ${JSON.stringify(name ?? null)} in ${ctx.agent.name}'s config (${key}s: ${Object.keys(entries).join(', ') || 'none'}); nothing was run`, { retry: false });
  }
  return { name, entry };
}
