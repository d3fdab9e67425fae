/**
 * deploy: runs one of the deployments in the agent's config (the config is the allow-list: a
 * task names a deployment, never a command). No shell; a minimal environment plus the
 * deployment's own; its process group is killed on timeout or when the agent stops. Every line
 * of output goes to the agent's log as it comes; the report says exit code, duration and the
 * last lines. A deployment the agent's `approve:` policy names waits for the owner's yes first
 * (`approval` says what to ask; approval-gate.ts asks), and an approved one is recorded as run, so it runs once.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { minimalEnv } from '../agent/tools/run-command.ts';
import type { ResolvedAgent } from '../config/index.ts';
import { namedEntry, namesEntry, TaskFailure, type TaskContext, type TaskKind, type TaskOutcome } from './kind.ts';

const LAST_LINES = 15;

type Deployment = ResolvedAgent['deployments'][string];

export const deployTask: TaskKind = {
  name: 'deploy',
  notify: ['owner'],
  checkPayload: (payload, agent) => namesEntry('deploy', 'deployment', payload, agent.deployments),
  approval(ctx) {
    const { name, entry: d } = namedEntry(ctx, 'deployment', ctx.agent.deployments);
    return { action: { kind: 'deploy', name }, notify: d.notify };
  },
  async run(ctx) {
    const { name, entry: d } = namedEntry(ctx, 'deployment', ctx.agent.deployments);
    return runDeployment(ctx, name, d);
  },
};

async function runDeployment(ctx: TaskContext, name: string, d: Deployment): Promise<TaskOutcome> {
  const started = ctx.clock.now();
  const argv = d.command;
  ctx.logger.info({ task: ctx.task.id, deployment: name, argv, cwd: d.cwd }, 'deploy started');
  const tail: string[] = [];
  const { code, signal, killed } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: string }>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: d.cwd, env: { ...minimalEnv(), ...d.env, AGENTNET_TASK_ID: ctx.task.id, AGENTNET_DEPLOYMENT: name }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let killed = '';
    const kill = (why: string) => {
      killed ||= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${d.timeoutMs / 1000} s`), d.timeoutMs);
    const onAbort = () => kill('the agent stopped');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    for (const [stream, input] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
      createInterface({ input, crlfDelay: Infinity }).on('line', (line) => {
        ctx.logger.info({ task: ctx.task.id, deployment: name, stream, line }, 'deploy output');
        tail.push(line);
        if (tail.length > LAST_LINES) tail.shift();
      });
    }
    child.once('error', (err) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new TaskFailure(`cannot start ${argv[0]}${d.cwd ? ` in ${d.cwd}` : ''}: ${err.message}`, { retry: false }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ code, signal, killed });
    });
  });
  const seconds = ((ctx.clock.now() - started) / 1000).toFixed(1);
  const detail = tail.length ? `last lines:\n${tail.join('\n')}` : 'no output';
  ctx.logger.info({ task: ctx.task.id, deployment: name, exitCode: code, signal, killed: killed || undefined, seconds: Number(seconds) }, 'deploy finished');
  if (code !== 0) {
    const how = killed ? `killed: ${killed}` : signal ? `killed by ${signal}` : `exit ${code}`;
    throw new TaskFailure(`deployment "${name}" failed after ${seconds} s (${how})`, { retry: false, detail, notify: d.notify });
  }
  return { notify: d.notify, summary: `deployment "${name}" succeeded in ${seconds} s (exit 0)`, detail, result: { exitCode: 0, seconds: Number(seconds), lastLines: tail } };
}
