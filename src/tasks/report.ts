/**
 * The report a finished task ends with: success or failure, what was done, how long it took —
 * a bridge notification to the owner (through the relay) and/or the orchestrator. A failure
 * after the last attempt always reaches the owner.
 */
import type { Bridge } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import { firstWithRole } from '../agent/routing.ts';
import { payloadOf, TaskFailure, type Recipient, type TaskKind } from './kind.ts';
import type { TaskFinish } from './worker.ts';

const MAX_DETAIL = 6000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function recipientsOf(kind: TaskKind | undefined, f: TaskFinish): Recipient[] {
  const asked = payloadOf(f.task).notify;
  const wanted = new Set<Recipient>(
    Array.isArray(asked) ? asked.filter((r): r is Recipient => r === 'owner' || r === 'orchestrator') : (f.outcome?.notify ?? (f.error instanceof TaskFailure ? f.error.notify : undefined) ?? kind?.notify ?? []),
  );
  if (f.error && f.final) wanted.add('owner');
  if (!f.final) wanted.clear();
  return [...wanted];
}

export function reportText(f: TaskFinish): string {
  const t = f.task;
  const clip = (s: string) => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}\n[… cut]` : s);
  if (f.outcome?.notRun) return `⛔ ${t.kind}: ${f.outcome.summary} (task ${t.id})`;
  if (f.outcome) {
    return `✅ ${t.kind}: ${f.outcome.summary} (task ${t.id}, ${seconds(f.durationMs)})${f.outcome.detail ? `\n\n${clip(f.outcome.detail)}` : ''}`;
  }
  const err = f.error as Error | undefined;
  const detail = f.error instanceof TaskFailure ? f.error.detail : undefined;
  return `❌ ${t.kind} failed after ${t.attempts} of ${t.maxAttempts} attempt(s): ${err?.message ?? String(f.error)} (task ${t.id}, ${seconds(f.durationMs)}; retry with: agentnet tasks retry ${t.id})${detail ? `\n\n${clip(detail)}` : ''}`;
}

/** `success`, `not-run` (denied or expired: not a failure) or `failure`. */
export const outcomeOf = (f: TaskFinish): 'success' | 'not-run' | 'failure' => (f.outcome ? (f.outcome.notRun ? 'not-run' : 'success') : 'failure');

export async function sendReport(o: { bridge: Bridge; config: Config; agent: string; redact: (s: string) => string }, kind: TaskKind | undefined, f: TaskFinish): Promise<string[]> {
  const to = recipientsOf(kind, f)
    .map((r) => (r === 'owner' ? firstWithRole(o.config, 'relay') : firstWithRole(o.config, 'orchestrator')))
    .filter((a): a is string => a !== undefined && a !== o.agent);
  const content = o.redact(reportText(f));
  const metadata = { task: f.task.id, kind: f.task.kind, outcome: outcomeOf(f), durationMs: f.durationMs };
  for (const agent of new Set(to)) await o.bridge.append({ from: o.agent, to: agent, type: 'notification', content, metadata });
  return [...new Set(to)];
}
