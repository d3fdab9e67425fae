/**
 * The shared store as network tools: memory_get, memory_set and task_enqueue (both surfaces),
 * memory_list and task_status (the MCP surface only; a model is not granted them).
 */
import { z } from 'zod';
import { TASK_KINDS } from '../../config/index.ts';
import { enqueueTask, TASK_STATES, type Memory, type TaskQueue } from '../../store/index.ts';
import { AgentnetError } from '../../errors.ts';
import { networkTool, said, shown } from './network-tool.ts';

/** What the memory tools need: who writes, and the memory. */
export interface MemoryToolContext {
  self: string;
  memory: Memory;
}

/** What the task tools need: the queue. */
export interface QueueToolContext {
  queue: TaskQueue;
}

const namespace = z.string().min(1).max(100).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : -').describe('e.g. an agent name, or "shared"');
const key = z.string().min(1).max(500);

export const memoryGet = networkTool({
  name: 'memory_get',
  title: 'Read shared memory',
  describe: () => 'Reads a value from the memory the agents of the network share to leave context for each other, with its version (for memory_set if_version) and who wrote it when.',
  input: z.object({ namespace, key }),
  readOnly: true,
  async run({ namespace, key }, ctx: MemoryToolContext) {
    const e = await ctx.memory.get(namespace, key);
    if (!e) return said(`${namespace}/${key} is not set`, { found: false });
    return shown(`${namespace}/${key} (version ${e.version}, written by ${e.writtenBy} at ${e.writtenAt})`, e);
  },
});

export const memorySet = networkTool({
  name: 'memory_set',
  title: 'Write shared memory',
  describe: () => 'Writes a JSON value to the shared memory (recorded as written by you). if_version makes it compare-and-set: write only over the version you read (0: only if absent); ttl_seconds forgets it later.',
  input: z.object({
    namespace,
    key,
    value: z.unknown().refine((v) => v !== undefined, 'a JSON value'),
    ttl_seconds: z.number().int().positive().optional(),
    if_version: z.number().int().min(0).optional(),
  }),
  async run({ namespace, key, value, ttl_seconds, if_version }, ctx: MemoryToolContext) {
    const e = await ctx.memory.set(namespace, key, value, { by: ctx.self, ...(ttl_seconds ? { ttlMs: ttl_seconds * 1000 } : {}), ...(if_version !== undefined ? { ifVersion: if_version } : {}) });
    return said(`${namespace}/${key} is now version ${e.version}`, { entry: e });
  },
});

export const memoryList = networkTool({
  name: 'memory_list',
  title: 'List shared memory',
  describe: () => 'The live keys of a namespace (optionally those starting with prefix), with their values.',
  input: z.object({ namespace, prefix: z.string().max(500).optional(), limit: z.number().int().min(1).max(500).default(50) }),
  readOnly: true,
  async run({ namespace, prefix, limit }, ctx: MemoryToolContext) {
    const entries = await ctx.memory.list(namespace, { limit, ...(prefix ? { prefix } : {}) });
    return said(
      entries.length ? `${entries.length} keys in ${namespace}:\n${entries.map((e) => `${e.key} = ${JSON.stringify(e.value)} (v${e.version})`).join('\n')}` : `no keys in ${namespace}${prefix ? ` starting with "${prefix}"` : ''}`,
      { entries },
    );
  },
});

export const taskEnqueue = networkTool({
  name: 'task_enqueue',
  title: 'Dispatch a task',
  describe: () =>
    `Puts a unit of work on the autonomous agent's task queue. Payloads: deploy {deployment: NAME}, code-review {review: NAME} (names from its config), prompt {prompt: TEXT}, monitor {agents?: [NAME]}, rotate-bridge {}; add notify: ["owner"] and/or ["orchestrator"] to choose who gets the report. Returns the task id; with idempotency_key, enqueueing twice returns the first task.`,
  input: z.object({
    kind: z.enum(TASK_KINDS),
    payload: z.record(z.string(), z.unknown()).default({}).describe('the kind\'s input, e.g. { "deployment": "web" } or { "prompt": "..." }'),
    priority: z.number().int().min(-100).max(100).default(0).describe('higher runs first'),
    run_in_seconds: z.number().int().min(0).optional().describe('not before this many seconds from now'),
    idempotency_key: z.string().min(1).max(200).optional(),
  }),
  async run({ kind, payload, priority, run_in_seconds, idempotency_key }, ctx: QueueToolContext) {
    const task = await enqueueTask(ctx.queue, {
      kind,
      payload,
      priority,
      ...(run_in_seconds !== undefined ? { runAt: new Date(Date.now() + run_in_seconds * 1000) } : {}),
      ...(idempotency_key !== undefined ? { idempotencyKey: idempotency_key } : {}),
    });
    return said(`queued ${task.id} (${task.kind}, ${task.state})`, { task });
  },
});

export const taskStatus = networkTool({
  name: 'task_status',
  title: 'Follow tasks',
  describe: () => 'One task by id (state, attempts, result or last error), or without id the queue\'s counts and the most recent tasks.',
  input: z.object({ id: z.string().min(1).optional(), state: z.enum(TASK_STATES).optional(), limit: z.number().int().min(1).max(100).default(10) }),
  readOnly: true,
  async run({ id, state, limit }, ctx: QueueToolContext) {
    if (id) {
      const t = await ctx.queue.get(id);
      if (!t) throw new AgentnetError('TASK_NOT_FOUND', `no task "${id}"; task_status without id lists the recent ones`);
      return shown(`task ${id}: ${t.state}`, t);
    }
    const [counts, tasks] = await Promise.all([ctx.queue.stats(), ctx.queue.list({ limit, ...(state ? { state } : {}) })]);
    return said(`${TASK_STATES.map((s) => `${counts[s]} ${s}`).join(', ')}\n${JSON.stringify(tasks, null, 2)}`, { counts, tasks });
  },
});
