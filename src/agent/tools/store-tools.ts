/** memory_get, memory_set and task_enqueue: the shared store, as tools for an agent's model. */
import { z } from 'zod';
import { enqueueTask, type Store } from '../../store/index.ts';
import { TASK_KINDS } from '../../config/index.ts';
import { defineTool, type Tool } from './tool.ts';

const json = (v: unknown) => JSON.stringify(v);

export function memoryGetTool(store: Store): Tool {
  return defineTool(
    'memory_get',
    'Read a value from the shared memory that all agents of the network use to leave context for each other.',
    z.object({ namespace: z.string().min(1).describe('e.g. an agent name, or "shared"'), key: z.string().min(1) }),
    async ({ namespace, key }) => {
      const e = await store.memory.get(namespace, key);
      return e ? json({ value: e.value, version: e.version, writtenBy: e.writtenBy, writtenAt: e.writtenAt }) : `no ${namespace}/${key} in memory`;
    },
  );
}

export function memorySetTool(store: Store, self: string): Tool {
  return defineTool(
    'memory_set',
    'Write a JSON value to the shared memory (recorded as written by you). Give ifVersion (0 = only if absent) to write only over the version you read.',
    z.object({
      namespace: z.string().min(1),
      key: z.string().min(1),
      value: z.unknown(),
      ttlSeconds: z.number().int().positive().optional(),
      ifVersion: z.number().int().min(0).optional(),
    }),
    async ({ namespace, key, value, ttlSeconds, ifVersion }) => {
      const e = await store.memory.set(namespace, key, value ?? null, {
        by: self,
        ...(ttlSeconds !== undefined ? { ttlMs: ttlSeconds * 1000 } : {}),
        ...(ifVersion !== undefined ? { ifVersion } : {}),
      });
      return `${namespace}/${key} is now version ${e.version}`;
    },
  );
}

export function taskEnqueueTool(store: Store): Tool {
  return defineTool(
    'task_enqueue',
    'Queue a work unit for the autonomous agent. Payloads: deploy {deployment: NAME}, code-review {review: NAME} (names from its config), prompt {prompt: TEXT}, monitor {agents?: [NAME]}, rotate-bridge {}; add notify: ["owner"] and/or ["orchestrator"] to choose who gets the report. Returns the task id.',
    z.object({
      kind: z.enum(TASK_KINDS),
      payload: z.record(z.string(), z.unknown()).optional(),
      priority: z.number().int().optional(),
      runInSeconds: z.number().int().min(0).optional(),
      idempotencyKey: z.string().min(1).optional(),
    }),
    async ({ kind, payload, priority, runInSeconds, idempotencyKey }) => {
      const t = await enqueueTask(store.queue, {
        kind,
        payload: payload ?? {},
        ...(priority !== undefined ? { priority } : {}),
        ...(runInSeconds !== undefined ? { runAt: new Date(Date.now() + runInSeconds * 1000) } : {}),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      return `queued ${t.id} (${t.kind}, ${t.state})`;
    },
  );
}
