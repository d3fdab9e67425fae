/** Declarative message filters, so every backend can apply them (PostgreSQL pushes them into SQL). */
import type { BridgeMessage, MessageStatus, MessageType } from './message.ts';

export interface MessageFilter {
  from?: string | string[];
  to?: string | string[];
  type?: MessageType | MessageType[];
  status?: MessageStatus | MessageStatus[];
  /** Records at or after this time (ISO-8601 or Date). */
  since?: string | Date;
  /** Records before this time. */
  until?: string | Date;
}

const oneOf = <T>(want: T | T[] | undefined, value: T | undefined): boolean =>
  want === undefined || (Array.isArray(want) ? want.includes(value as T) : want === value);

const toMs = (t: string | Date): number => (t instanceof Date ? t.getTime() : Date.parse(t));

export function matchesFilter(msg: BridgeMessage, filter: MessageFilter | undefined): boolean {
  if (!filter) return true;
  if (!oneOf(filter.from, msg.from)) return false;
  if (!oneOf(filter.to, msg.to)) return false;
  if (!oneOf(filter.type, msg.type)) return false;
  if (!oneOf(filter.status, msg.status)) return false;
  const ts = Date.parse(msg.ts);
  if (filter.since !== undefined && ts < toMs(filter.since)) return false;
  if (filter.until !== undefined && ts >= toMs(filter.until)) return false;
  return true;
}
