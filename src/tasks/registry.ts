/** The task kinds the autonomous agent runs, by name, and their rules for the schedules in a config. */
import type { ParsedConfig, RuleProblem } from '../config/index.ts';
import { codeReviewTask } from './code-review.ts';
import { deployTask } from './deploy.ts';
import type { TaskKind } from './kind.ts';
import { monitorTask } from './monitor.ts';
import { promptTask } from './prompt.ts';
import { rotateBridgeTask } from './rotate-bridge.ts';

export const TASK_KIND_HANDLERS: ReadonlyMap<string, TaskKind> = new Map(
  [monitorTask, rotateBridgeTask, deployTask, codeReviewTask, promptTask].map((k) => [k.name, k]),
);

/**
 * Every schedule's payload checked by its kind (a `ConfigRule`: the CLI hands it to the config
 * loader, which reports the problems located in the file like its own).
 */
export function schedulePayloadProblems(config: ParsedConfig): RuleProblem[] {
  return Object.entries(config.agents).flatMap(([agentName, agent]) =>
    agent.schedules.flatMap((s, i) =>
      (TASK_KIND_HANDLERS.get(s.task)?.checkPayload?.(s.payload, agent) ?? []).map((p) => ({
        path: ['agents', agentName, 'schedules', i, 'payload', p.key],
        message: p.message,
      })),
    ),
  );
}
