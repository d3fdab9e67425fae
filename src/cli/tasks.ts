/** `agentnet tasks ...`: the operator's view of the task queue. */
import { enqueueTask, TASK_STATES, type Task, type TaskState } from '../store/index.ts';
import { AgentnetError } from '../errors.ts';
import { parseCount } from './bridge-filter-options.ts';
import { CONFIG_HELP, CONFIG_OPTION, withStore, type Command } from './command.ts';
import { safeText } from './format.ts';
import { TASK_KIND_HANDLERS } from '../tasks/index.ts';

function row(t: Task): string {
  const extra = t.state === 'dead' && t.lastError ? `  error: ${t.lastError}` : t.worker ? `  worker: ${t.worker}` : '';
  return safeText(`${t.id}  ${t.state.padEnd(9)} ${t.kind.padEnd(14)} p${t.priority} ${t.attempts}/${t.maxAttempts}  run ${t.runAt}${extra}`);
}

/** `2026-11-25T09:00:00Z`, or `+30m` / `+2h` from now. */
function parseWhen(text: string): Date {
  const rel = /^\+(\d+)(s|m|h|d)$/.exec(text);
  if (rel) return new Date(Date.now() + Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's']);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new AgentnetError('USAGE', `--at "${text}": expected an ISO time or +30m, +2h, +1d`);
  return new Date(t);
}

export const tasksLsCommand: Command = {
  usage: 'agentnet tasks ls [--state S] [--kind K] [-n N] [--json]',
  help: `Options:
  --state S           ${TASK_STATES.join(' | ')}
  --kind K            only this kind
  -n, --limit N       the newest N (default 50)
  --json              one JSON object per line
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, state: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'string', short: 'n' }, json: { type: 'boolean' } },
  async run(values, _p, io) {
    const state = values.state as string | undefined;
    if (state && !TASK_STATES.includes(state as TaskState)) throw new AgentnetError('USAGE', `--state "${state}": expected one of ${TASK_STATES.join(', ')}`);
    const limit = parseCount(values.limit as string | undefined, '--limit', 50);
    await withStore(values, io, async (store) => {
      const tasks = await store.queue.list({ ...(state ? { state: state as TaskState } : {}), ...(values.kind ? { kind: values.kind as string } : {}), limit });
      if (values.json) return void tasks.forEach((t) => io.out(JSON.stringify(t) + '\n'));
      const s = await store.queue.stats();
      io.out(`${TASK_STATES.map((k) => `${s[k]} ${k}`).join(', ')}\n`);
      for (const t of tasks) io.out(row(t) + '\n');
    });
  },
};

export const tasksShowCommand: Command = {
  usage: 'agentnet tasks show ID',
  help: `Prints the task as JSON: payload, state, attempts, lease, result or last error.\n\nOptions:\n${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION },
  async run(values, positionals, io) {
    const id = positionals[0];
    if (!id) throw new AgentnetError('USAGE', 'give a task id (see: agentnet tasks ls)');
    await withStore(values, io, async (store) => {
      const t = await store.queue.get(id);
      if (!t) throw new AgentnetError('TASK_NOT_FOUND', `no task "${id}" (see: agentnet tasks ls)`);
      io.out(JSON.stringify(t, null, 2) + '\n');
    });
  },
};

export const tasksAddCommand: Command = {
  usage: 'agentnet tasks add KIND [--payload JSON] [--priority N] [--at WHEN] [--max-attempts N] [--key KEY] [--json]',
  help: `Enqueues a task of KIND (monitor, deploy, code-review, rotate-bridge, prompt, or your own) and
prints its id. With --key, a second add with the same key returns the first task.

Options:
  --payload JSON      the task's input (default null)
  --priority N        higher runs first (default 0)
  --at WHEN           not before this: an ISO time, or +30m, +2h, +1d
  --max-attempts N    attempts before it is dead-lettered (default: the kind's;
                      deploy and monitor 1, prompt 2, others 3)
  --key KEY           idempotency key
  --json              print the task as JSON
${CONFIG_HELP}`,
  positionals: true,
  options: {
    ...CONFIG_OPTION,
    payload: { type: 'string' },
    priority: { type: 'string' },
    at: { type: 'string' },
    'max-attempts': { type: 'string' },
    key: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(values, positionals, io) {
    const kind = positionals[0];
    if (!kind) throw new AgentnetError('USAGE', 'give the task kind: agentnet tasks add KIND');
    // Nothing would ever run a kind the autonomous agent does not know: refuse it now.
    if (!TASK_KIND_HANDLERS.has(kind)) throw new AgentnetError('USAGE', `unknown task kind "${kind}"; the autonomous agent runs: ${[...TASK_KIND_HANDLERS.keys()].join(', ')}`);
    let payload: unknown = null;
    if (values.payload !== undefined) {
      try {
        payload = JSON.parse(values.payload as string);
      } catch {
        throw new AgentnetError('USAGE', `--payload is not JSON: ${values.payload as string}`);
      }
    }
    const priority = values.priority === undefined ? 0 : Number(values.priority);
    if (!Number.isInteger(priority)) throw new AgentnetError('USAGE', '--priority: expected a whole number');
    await withStore(values, io, async (store) => {
      const t = await enqueueTask(store.queue, {
        kind,
        payload,
        priority,
        ...(values.at ? { runAt: parseWhen(values.at as string) } : {}),
        ...(values['max-attempts'] ? { maxAttempts: parseCount(values['max-attempts'] as string, '--max-attempts', 3) || 1 } : {}),
        ...(values.key ? { idempotencyKey: values.key as string } : {}),
      });
      io.out(values.json ? JSON.stringify(t) + '\n' : `${t.id}\n`);
    });
  },
};

function operatorCommand(name: 'retry' | 'cancel', help: string): Command {
  return {
    usage: `agentnet tasks ${name} ID...`,
    help: `${help}\n\nOptions:\n${CONFIG_HELP}`,
    positionals: true,
    options: { ...CONFIG_OPTION },
    async run(values, positionals, io) {
      if (positionals.length === 0) throw new AgentnetError('USAGE', `give the id of the task to ${name}`);
      await withStore(values, io, async (store) => {
        for (const id of positionals) io.out(row(await store.queue[name](id)) + '\n');
      });
    },
  };
}

export const tasksRetryCommand = operatorCommand('retry', 'Puts the task back in the queue with fresh attempts.');
export const tasksCancelCommand = operatorCommand('cancel', 'A running worker finishes, but its result is refused.');
