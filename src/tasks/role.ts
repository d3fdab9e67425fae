/**
 * The autonomous role (the seed's Kaylee): works the task queue and its schedules without
 * supervision. Requests addressed to it are answered like any agent's; its own work comes from
 * the queue: schedules enqueue slots, other agents enqueue with `task_enqueue`, and the worker
 * runs the built-in task kinds, ending each with an explicit report.
 */
import { AgentnetError } from '../errors.ts';
import { systemClock } from '../agent/clock.ts';
import { runGated } from './approval-gate.ts';
import { startScheduler, type Scheduler } from './scheduler.ts';
import { outcomeOf, reportLostTasks, sendReport, startWorker, TASK_KIND_HANDLERS, type TaskFinish, type Worker } from './index.ts';
import { sendMissedReport } from './missed.ts';
import { noteFinished, noteStarted } from './run-record.ts';
import { createAnswerRole } from '../agent/answer.ts';
import { runTask, traceOfTask } from '../agent/traced.ts';
import type { Alerter } from '../agent/health-watch.ts';
import type { Role, RoleContext } from '../agent/role.ts';

/** `alerter` tells the owner of what the monitor task finds (the CLI gives the relay's direct channel, relay/alerts.ts). */
export function createAutonomousRole(ctx: RoleContext, alerter: Alerter): Role {
  const answer = createAnswerRole(ctx, { acknowledge: ['notification', 'response'] });
  const clock = ctx.clock ?? systemClock;
  let worker: Worker | undefined;
  let scheduler: Scheduler | undefined;
  let lostTimer: NodeJS.Timeout | undefined;
  return {
    ...answer,

    async start() {
      const store = ctx.store;
      if (!store) throw new AgentnetError('STORE_OPEN_FAILED', `${ctx.agent.name} is autonomous but has no store open`);
      const report = async (f: TaskFinish) => {
        const key = `${f.task.kind} ${f.outcome ? outcomeOf(f) : f.final ? 'failure' : 'retried'}`;
        ctx.stats.tasks[key] = (ctx.stats.tasks[key] ?? 0) + 1;
        ctx.stats.lastActivity = Date.now();
        await noteFinished(store.scheduleRuns, f, clock.now()).catch((err: unknown) => ctx.logger.warn({ task: f.task.id, err }, 'could not record the end of a scheduled run'));
        try {
          const send = () => sendReport({ bridge: ctx.bridge, config: ctx.config, agent: ctx.agent.name, redact: ctx.redact }, TASK_KIND_HANDLERS.get(f.task.kind), f);
          const tracer = ctx.tracer;
          if (!tracer) await send();
          else {
            // The attempt's end, and its report, in the task's trace.
            const trace = await traceOfTask(tracer, f.task.id);
            tracer.hop(trace, 'task-finished', `${f.task.id}#${f.task.attempts}`, { kind: f.task.kind, outcome: f.outcome ? outcomeOf(f) : 'failure', final: f.final ? 1 : 0 });
            await tracer.run(trace, f.task.id, send);
          }
        } catch (err) {
          ctx.logger.error({ task: f.task.id, err }, 'could not send the task report');
        }
      };
      const w = ctx.agent.worker;
      worker = startWorker({
        agent: ctx.agent.name,
        queue: store.queue,
        kinds: [...TASK_KIND_HANDLERS.keys()],
        concurrency: w.concurrency,
        leaseMs: w.leaseMs,
        pollMs: w.pollMs,
        logger: ctx.logger,
        untilResumed: (signal) => ctx.pause.untilResumed(signal),
        execute: (task, signal) => {
          const kind = TASK_KIND_HANDLERS.get(task.kind)!;
          // Every kind goes through the approve: policy first (a kind or a deployment it names waits for the owner's yes).
          const run = () => runGated(kind, { task, agent: ctx.agent, config: ctx.config, bridge: ctx.bridge, store, model: ctx.model, prompt: ctx.prompt, tools: ctx.tools, logger: ctx.logger, alerter, clock, signal });
          return ctx.tracer ? runTask(ctx.tracer, task, run) : run();
        },
        started: (task) => noteStarted(store.scheduleRuns, task, clock.now()),
        finished: (f) => report(f),
      });
      // Tasks whose worker died on their last attempt have nobody else to report them.
      const lost = () =>
        reportLostTasks({ agent: ctx.agent.name, queue: store.queue, memory: store.memory, logger: ctx.logger, report }).catch((err) =>
          ctx.logger.warn({ err }, 'could not look for tasks lost with their worker'),
        );
      void lost();
      lostTimer = setInterval(lost, 60_000);
      lostTimer.unref();
      const started = worker;
      scheduler = startScheduler({
        agent: ctx.agent.name,
        schedules: ctx.agent.schedules,
        queue: store.queue,
        runs: store.scheduleRuns,
        memory: store.memory,
        logger: ctx.logger,
        clock,
        paused: () => ctx.pause.paused(),
        untilResumed: (signal) => ctx.pause.untilResumed(signal),
        reportMissed: async (r) => void (await sendMissedReport({ bridge: ctx.bridge, config: ctx.config, agent: ctx.agent.name, redact: ctx.redact }, r)),
        onEnqueued: () => started.wake(),
      });
    },

    async stop(graceMs) {
      clearInterval(lostTimer);
      await scheduler?.stop();
      await worker?.stop(graceMs);
    },

    health: () => ({
      tasksRunning: worker?.running() ?? 0,
      ...(scheduler ? { schedules: scheduler.next() } : {}),
    }),
  };
}
