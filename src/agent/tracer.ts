/**
 * The tracer: each process's recorder of the hops its requests pass (`HOPS`). A hop costs the
 * caller a push onto a buffer; the buffer goes to the store in one batch shortly after
 * (`FLUSH_AFTER_MS`), so a message never waits for its trace, its hops cost one write however
 * many there are, and a store that fails loses hops, never a message. The trace being worked on is carried through async calls (AsyncLocalStorage), so
 * whatever a request causes (a tool's message, a model call, a task's report) joins its trace
 * without being handed it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../log/logger.ts';
import type { HopDetail, TraceHop, Traces } from '../store/index.ts';

/**
 * Every hop a trace can have, with what it means (README "Traces", `agentnet trace`), in the
 * order a request passes them: hops recorded in one millisecond by different processes are
 * shown in this order (the store's order between processes is only the order their batches came).
 */
export const HOPS = {
  received: "the relay's channel gave it the owner's message",
  recorded: "the message written to the relay's ledger",
  acknowledged: 'the acknowledgement queued for the owner',
  escalated: "a relay's request appended to the bridge",
  requested: 'a request appended to the bridge',
  claimed: 'the addressee took the message from the bridge',
  'task-enqueued': 'a task put on the queue',
  'task-started': 'a worker started a task (one attempt)',
  'model-started': 'a model call started',
  'model-finished': 'a model call finished (tokens in and out; cost when reported)',
  'model-failed': 'a model call failed',
  'task-finished': 'an attempt of the task ended',
  answered: 'the response appended to the bridge',
  notified: 'a notification appended to the bridge',
  handled: "the relay finished with the owner's message",
  refused: 'the sender is not an owner: not acted on',
  queued: "a reply queued in the relay's outbox",
  sent: 'a reply accepted by the provider',
  delivered: "the provider's report: delivered to the phone",
  read: "the provider's report: read",
  undelivered: "the provider's report: not delivered",
} as const;

export type HopName = keyof typeof HOPS;

/** The request being worked on in this async context, and the thing within it (a message id, a task id). */
export interface TraceScope {
  trace: string;
  ref: string;
  /** Model calls made in this scope so far: each gets its own ref. */
  calls: number;
}

export interface Tracer {
  /** Who records (an agent's name, `cli`, `mcp:claude`). */
  readonly agent: string;
  /**
   * Records a hop, by this process now unless `by` says when and who (a message's append, read
   * from the bridge, is its sender's); never throws, never waits.
   */
  hop(trace: string, hop: HopName, ref: string, detail?: HopDetail, by?: { at?: number; agent?: string }): void;
  /** Runs `fn` as part of `trace`: what it appends, enqueues or asks a model joins the trace. */
  run<T>(trace: string, ref: string, fn: () => T): T;
  /** The trace being worked on, if any. */
  current(): TraceScope | undefined;
  /** The trace a hop's ref belongs to: recent ones from memory, else the store. */
  traceOfRef(ref: string): Promise<string | undefined>;
  /** When this process recorded the `received` hop of `trace` (the relay's histograms), if it did recently. */
  receivedAt(trace: string): number | undefined;
  /** Writes what is buffered. */
  flush(): Promise<void>;
}

export interface TracerOptions {
  agent: string;
  traces: Traces;
  logger: Logger;
  /** Also hands each batch to this (the OpenTelemetry export, otlp.ts). */
  exporter?: { export(hops: readonly TraceHop[]): void; flush(): Promise<void> };
  /** Hops kept while the store does not take them; beyond, new ones are dropped (default 10 000). */
  maxBuffered?: number;
}

/** Where hops go when `traces.record` is false: nowhere (the ids still travel with the messages). */
export const UNRECORDED: Traces = { record: async () => {}, hops: async () => [], traceOf: async () => undefined, prune: async () => 0 };

const scopes = new AsyncLocalStorage<TraceScope>();
/** Refs and trace starts kept in memory: enough for every request in flight. */
const REMEMBERED = 10_000;
/** Hops per write. */
const BATCH = 500;
/**
 * How long hops wait in the buffer: long enough that a request's hops in this process go in one
 * write, out of the way of its own ledger writes (one SQLite file takes one writer at a time, and
 * every agent of the machine writes to it); short enough that a crash loses little.
 */
export const FLUSH_AFTER_MS = 100;

/** A map that forgets its oldest entries past `max`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max = REMEMBERED): void {
  if (map.has(key)) return;
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

export function createTracer(o: TracerOptions): Tracer {
  const max = o.maxBuffered ?? 10_000;
  const buffer: TraceHop[] = [];
  const refs = new Map<string, string>();
  const starts = new Map<string, number>();
  let scheduled = false;
  let writing: Promise<void> | undefined;
  let warnedAt = 0;
  let dropped = 0;

  const warn = (fields: Record<string, unknown>, text: string) => {
    // Once a minute at most: a store that is down would otherwise log per hop.
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    o.logger.warn(fields, text);
  };
  const write = async (): Promise<void> => {
    while (buffer.length > 0) {
      const batch = buffer.splice(0, BATCH);
      o.exporter?.export(batch);
      try {
        await o.traces.record(batch);
      } catch (err) {
        warn({ err, hops: batch.length }, 'trace hops not recorded (the store refused them); the messages are not affected');
      }
    }
  };
  const flush = async (): Promise<void> => {
    while (writing) await writing;
    if (buffer.length > 0) {
      writing = write().finally(() => (writing = undefined));
      await writing;
    }
    await o.exporter?.flush();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    // Unref'd: a process that ends flushes on its way out (stop), the timer does not keep it alive.
    setTimeout(() => {
      scheduled = false;
      void flush();
    }, FLUSH_AFTER_MS).unref();
  };

  return {
    agent: o.agent,
    hop(trace, hop, ref, detail, by = {}) {
      const at = by.at ?? Date.now();
      remember(refs, ref, trace);
      if (hop === 'received') remember(starts, trace, at);
      if (buffer.length >= max) {
        dropped++;
        return warn({ dropped }, 'trace hops dropped: the store has not taken them for a while');
      }
      buffer.push({ trace, hop, ref, agent: by.agent ?? o.agent, at, ...(detail ? { detail } : {}) });
      schedule();
    },
    run: (trace, ref, fn) => scopes.run({ trace, ref, calls: 0 }, fn),
    current: () => scopes.getStore(),
    async traceOfRef(ref) {
      return refs.get(ref) ?? (await o.traces.traceOf(ref).catch(() => undefined));
    },
    receivedAt: (trace) => starts.get(trace),
    flush,
  };
}
