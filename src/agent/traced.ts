/**
 * The bridge, the task queue and the model as a role sees them: the same contracts, with each
 * message, task and model call joined to the trace being worked on (a fresh one when nothing
 * is: the request enters here) and its hop recorded. The runtime and `agentnet mcp` hand these
 * to what they run, so no tool or role has to carry a trace by hand.
 */
import { isTraceId, newTraceId, traceIdFrom, type Bridge, type BridgeMessage, type NewMessage } from '../bridge/index.ts';
import type { Model } from '../models/model.ts';
import type { HopDetail, Store, Task, TaskQueue } from '../store/index.ts';
import type { HopName, Tracer } from './tracer.ts';

/** The role of an agent of the network, by name (undefined for a person or an unknown writer). */
export type RoleOf = (agent: string) => string | undefined;

/** The hop a message's append is: a relay's request is an escalation. */
export function appendHop(type: BridgeMessage['type'], senderRole: string | undefined): HopName {
  if (type === 'response') return 'answered';
  if (type === 'notification') return 'notified';
  return senderRole === 'relay' ? 'escalated' : 'requested';
}

/** Records a message's append, at the time it was appended, as its sender's hop. */
export function recordAppend(tracer: Tracer, trace: string, msg: BridgeMessage, roleOf: RoleOf): void {
  const detail: HopDetail = {};
  if (msg.to) detail.to = msg.to;
  if (msg.replyTo) detail.replyTo = msg.replyTo;
  // Appended done (an alert its relay delivered itself, channel-alarm.ts, alerts.ts): nobody is to take it.
  if (msg.status === 'done') detail.done = 1;
  const at = Date.parse(msg.ts);
  tracer.hop(trace, appendHop(msg.type, roleOf(msg.from)), msg.id, detail, { agent: msg.from.slice(0, 100), ...(Number.isNaN(at) ? {} : { at }) });
}

/** `m` with the trace being worked on in its metadata, unless it names a trace already. */
function stamped<T extends { metadata?: NewMessage['metadata'] }>(tracer: Tracer, m: T): T & { metadata: NonNullable<NewMessage['metadata']> } {
  if (m.metadata && isTraceId(m.metadata.trace)) return m as T & { metadata: NonNullable<NewMessage['metadata']> };
  return { ...m, metadata: { ...m.metadata, trace: tracer.current()?.trace ?? newTraceId() } };
}

/** The bridge with every append and answer in a trace. */
export function tracedBridge(bridge: Bridge, tracer: Tracer, roleOf: RoleOf): Bridge {
  const traced: Bridge = {
    backend: bridge.backend,
    async append(message) {
      const m = stamped(tracer, message);
      const sent = await bridge.append(m);
      recordAppend(tracer, m.metadata.trace as string, sent, roleOf);
      return sent;
    },
    async answer(requestId, response) {
      const r = stamped(tracer, response);
      const outcome = await bridge.answer(requestId, r);
      if (outcome.answered) recordAppend(tracer, r.metadata.trace as string, outcome.response, roleOf);
      return outcome;
    },
    get: (id) => bridge.get(id),
    list: (options) => bridge.list(options),
    markDone: (message) => bridge.markDone(message),
    answerOf: (id) => bridge.answerOf(id),
    subscribe: (options, handler) => bridge.subscribe(options, handler),
    rotate: (options) => bridge.rotate(options),
    close: () => bridge.close(),
  };
  if (bridge.unavailable) traced.unavailable = () => bridge.unavailable!();
  return traced;
}

/** The trace a task belongs to: the one it was enqueued in, else the one its id gives (a schedule's). */
export async function traceOfTask(tracer: Tracer, taskId: string): Promise<string> {
  return (await tracer.traceOfRef(taskId)) ?? traceIdFrom(`task:${taskId}`);
}

/** The queue with every enqueue in a trace: the one being worked on, else the task's own. */
export function tracedQueue(queue: TaskQueue, tracer: Tracer): TaskQueue {
  return {
    ...queue,
    async enqueue(options) {
      const task = await queue.enqueue(options);
      tracer.hop(tracer.current()?.trace ?? traceIdFrom(`task:${task.id}`), 'task-enqueued', task.id, { kind: task.kind });
      return task;
    },
  };
}

/** The store a role is handed: its queue traced, the rest as it is. */
export const tracedStore = (store: Store, tracer: Tracer): Store => ({ ...store, queue: tracedQueue(store.queue, tracer), close: () => store.close() });

/** Runs one attempt of `task` in its trace, recording when it started. */
export async function runTask<T>(tracer: Tracer, task: Task, fn: () => Promise<T>): Promise<T> {
  const trace = await traceOfTask(tracer, task.id);
  tracer.hop(trace, 'task-started', `${task.id}#${task.attempts}`, { kind: task.kind, attempt: task.attempts });
  return tracer.run(trace, task.id, fn);
}

/** The model with each call a pair of hops in the trace being worked on; `took` hears each call's seconds. */
export function tracedModel(model: Model, tracer: Tracer, took?: (seconds: number) => void): Model {
  return {
    id: model.id,
    isLanguageModel: model.isLanguageModel,
    async complete(request) {
      const scope = tracer.current();
      if (!scope) return model.complete(request);
      const ref = `${scope.ref}#${++scope.calls}`;
      const started = Date.now();
      tracer.hop(scope.trace, 'model-started', ref, { model: model.id }, { at: started });
      try {
        const res = await model.complete(request);
        const ms = Date.now() - started;
        tracer.hop(scope.trace, 'model-finished', ref, { model: model.id, inputTokens: res.usage.inputTokens, outputTokens: res.usage.outputTokens, ...(res.usage.costUsd === undefined ? {} : { costUsd: res.usage.costUsd }), ms });
        took?.(ms / 1000);
        return res;
      } catch (err) {
        const code = (err as { code?: unknown })?.code;
        tracer.hop(scope.trace, 'model-failed', ref, { model: model.id, error: typeof code === 'string' ? code : ((err as Error)?.name ?? 'Error') });
        throw err;
      }
    },
  };
}
