/**
 * The OpenTelemetry export of traces (`traces.otlp` in the config): each hop this process
 * records is also sent as a span, OTLP over HTTP with JSON bodies (the protocol's own encoding,
 * so no SDK is needed), to a collector. Loaded only when configured. Spans go in the batches
 * the tracer writes; a collector that is down costs the spans (logged once a minute), never
 * the hops in the store or a message.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.ts';
import type { TraceHop } from '../store/index.ts';

export interface OtlpOptions {
  /** The collector's traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  url: string;
  headers?: Record<string, string>;
  /** The agent (or command) whose hops these are: the span's `service.instance.id`. */
  agent: string;
  logger: Logger;
  /** How long one export may take (default 10 s). */
  timeoutMs?: number;
}

/** Where the tracer hands each batch it writes. */
export interface HopExporter {
  export(hops: readonly TraceHop[]): void;
  /** Waits for the exports under way. */
  flush(): Promise<void>;
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number };
const value = (v: string | number): AnyValue => (typeof v === 'string' ? { stringValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v });
const attr = (key: string, v: string | number) => ({ key, value: value(v) });
const nanos = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;

/** A hop's span id: the same hop always gives the same (a hop recorded twice is one span). */
const spanIdOf = (h: TraceHop) => createHash('sha256').update(`${h.trace}\0${h.hop}\0${h.ref}`).digest('hex').slice(0, 16);

/** A hop as an OTLP span: a point in time, or for a finished model call, the call (its `ms`). */
export function spanOf(h: TraceHop) {
  const took = h.hop === 'model-finished' && typeof h.detail?.ms === 'number' ? h.detail.ms : 0;
  return {
    traceId: h.trace,
    spanId: spanIdOf(h),
    name: h.hop,
    kind: 1, // SPAN_KIND_INTERNAL
    startTimeUnixNano: nanos(h.at - took),
    endTimeUnixNano: nanos(h.at),
    attributes: [attr('agentnet.agent', h.agent), attr('agentnet.ref', h.ref), ...Object.entries(h.detail ?? {}).map(([k, v]) => attr(`agentnet.${k}`, v))],
  };
}

/** The OTLP/HTTP JSON body for `hops`. */
export function otlpBody(agent: string, hops: readonly TraceHop[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', 'agentnet'), attr('service.instance.id', agent)] },
        scopeSpans: [{ scope: { name: 'agentnet' }, spans: hops.map(spanOf) }],
      },
    ],
  };
}

export function createOtlpExporter(o: OtlpOptions): HopExporter {
  const inFlight = new Set<Promise<void>>();
  let warnedAt = 0;
  const post = async (hops: readonly TraceHop[]) => {
    try {
      const res = await fetch(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...o.headers },
        body: JSON.stringify(otlpBody(o.agent, hops)),
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer(); // the connection is reused only once the body is read
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      o.logger.warn({ url: o.url, err: (err as Error).message, spans: hops.length }, 'spans not exported to the OpenTelemetry collector; the traces in the store are complete');
    }
  };
  return {
    export(hops) {
      if (hops.length === 0) return;
      const p = post(hops).finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async flush() {
      await Promise.all(inFlight);
    },
  };
}
