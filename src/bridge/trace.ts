/**
 * Which request a bridge message belongs to: its trace id, `metadata.trace`, carried by every
 * message the request causes. A trace id is a W3C trace-id (32 lowercase hex digits), so the
 * OpenTelemetry export takes it as it is. A message without one (a seed writer's) gets one
 * derived from its id: every agent that sees it, before or after a restart, assigns the same.
 */
import { createHash, randomBytes } from 'node:crypto';

const TRACE_ID = /^[0-9a-f]{32}$/;
const ZERO = '0'.repeat(32);

/** Whether `value` is a trace id (W3C: 32 lowercase hex digits, not all zero). */
export const isTraceId = (value: unknown): value is string => typeof value === 'string' && TRACE_ID.test(value) && value !== ZERO;

/** A fresh trace id, for a request that enters the network now. */
export const newTraceId = (): string => randomBytes(16).toString('hex');

/** The trace id `seed` always gives (a message id, a ledger key): the same after a restart. */
export const traceIdFrom = (seed: string): string => createHash('sha256').update(`agentnet-trace\0${seed}`).digest('hex').slice(0, 32);

/** The trace a message belongs to: its `metadata.trace`, or the one derived from its id. */
export function traceOf(msg: { id: string; metadata?: { [key: string]: unknown } | undefined }): string {
  const given = msg.metadata?.trace;
  return isTraceId(given) ? given : traceIdFrom(`message:${msg.id}`);
}
