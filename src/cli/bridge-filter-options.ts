/** The filter options shared by `bridge ls` and `bridge tail`. */
import { MESSAGE_STATUSES, MESSAGE_TYPES, type MessageFilter, type MessageStatus, type MessageType } from '../bridge/index.ts';
import { AgentnetError } from '../errors.ts';
import type { Values } from './command.ts';
import { parseSince } from './format.ts';

export const FILTER_OPTIONS = {
  from: { type: 'string', multiple: true },
  to: { type: 'string', multiple: true },
  status: { type: 'string' },
  type: { type: 'string' },
  since: { type: 'string' },
} as const;

export const FILTER_HELP = `  --from AGENT        only messages from this agent (repeatable)
  --to AGENT          only messages to this agent (repeatable)
  --status S          pending | done
  --type T            request | response | notification
  --since WHEN        30m, 2h, 7d ago, or an ISO time`;

export function filterFrom(values: Values): MessageFilter {
  const filter: MessageFilter = {};
  if (values.from) filter.from = values.from as string[];
  if (values.to) filter.to = values.to as string[];
  if (values.status !== undefined) {
    if (!MESSAGE_STATUSES.includes(values.status as MessageStatus)) {
      throw new AgentnetError('USAGE', `--status "${values.status as string}": expected one of ${MESSAGE_STATUSES.join(', ')}`);
    }
    filter.status = values.status as MessageStatus;
  }
  if (values.type !== undefined) {
    if (!MESSAGE_TYPES.includes(values.type as MessageType)) {
      throw new AgentnetError('USAGE', `--type "${values.type as string}": expected one of ${MESSAGE_TYPES.join(', ')}`);
    }
    filter.type = values.type as MessageType;
  }
  if (values.since !== undefined) filter.since = parseSince(values.since as string);
  return filter;
}

export function parseCount(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new AgentnetError('USAGE', `${option} "${text}": expected a whole number`);
  return n;
}
