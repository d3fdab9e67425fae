/** MessageFilter as SQL conditions on the bridge's record columns, meaning exactly what matchesFilter means. */
import type { MessageFilter } from './filter.ts';

const toIso = (t: string | Date): string | undefined => {
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  // matchesFilter compares with NaN, which excludes nothing: so does a missing condition.
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** The conditions (to AND together) for `filter`; their values are pushed onto `params`. */
export function filterConditions(filter: MessageFilter, params: unknown[]): string[] {
  const conditions: string[] = [];
  const bind = (value: unknown) => `$${params.push(value)}`;
  const oneOf = (column: string, want: string | string[] | undefined) => {
    if (want !== undefined) conditions.push(`${column} = ANY(${bind(Array.isArray(want) ? want : [want])}::text[])`);
  };
  oneOf('sender', filter.from);
  oneOf('addressee', filter.to);
  oneOf('type', filter.type);
  oneOf('status', filter.status);
  const since = filter.since === undefined ? undefined : toIso(filter.since);
  if (since !== undefined) conditions.push(`ts >= ${bind(since)}::timestamptz`);
  const until = filter.until === undefined ? undefined : toIso(filter.until);
  if (until !== undefined) conditions.push(`ts < ${bind(until)}::timestamptz`);
  return conditions;
}
