/**
 * run_command: runs an allow-listed command without a shell. The argv must start with one of
 * the configured prefixes, and the arguments after the prefix may not be options: `git log`
 * allowed must not become `git log --output=.git/config`. An option the owner wants is written
 * into the prefix (`[git, status, --short]`). Shell syntax, interpreters and paths not on the
 * list are refused with the reason, so the model can adapt instead of retrying blindly.
 * The child gets a minimal environment (no API keys) and its whole process group is killed on
 * timeout.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { defineTool, ToolRefusal, type Tool } from './tool.ts';

export interface RunCommandGrant {
  allow: string[][];
  cwd?: string;
  timeoutMs?: number;
}

const SHELL = /^(\||\|\||&&|;|&|>|>>|<|<<|2>|2>&1)$|[`]|\$\(|\$\{/;
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'fish', 'python', 'python3', 'node', 'perl', 'ruby', 'php', 'lua', 'env', 'sudo', 'su', 'xargs', 'eval', 'exec', 'nohup', 'busybox']);
const MAX_OUTPUT = 64 * 1024;

/** Why this argv may not run, or undefined if it may. */
export function refusal(argv: string[], allow: string[][]): string | undefined {
  if (argv.length === 0) return 'empty command';
  const list = allow.map((p) => p.join(' ')).join('; ');
  const prefix = allow.filter((p) => p.length <= argv.length && p.every((w, i) => argv[i] === w)).sort((a, b) => b.length - a.length)[0];
  if (prefix) {
    const bad = argv.find((a) => SHELL.test(a));
    if (bad !== undefined) return `"${bad}" is shell syntax; commands run without a shell, so pipes, redirects and substitutions do not work`;
    const option = argv.slice(prefix.length).find((a) => a.startsWith('-'));
    if (option !== undefined) return `option "${option}" is not allowed after "${prefix.join(' ')}" (options must be part of an allowed prefix); allowed: ${list}`;
    return undefined;
  }
  const cmd = argv[0]!;
  const base = cmd.split('/').pop()!;
  if (INTERPRETERS.has(base)) return `${cmd} is an interpreter (it could run anything); only these commands are allowed: ${list}`;
  if (cmd.includes('/')) return `${cmd} is a path outside the allow-list; allowed: ${list}`;
  return `"${argv.join(' ')}" is not on the allow-list; allowed: ${list}`;
}

/** What a command sees of our environment: enough to run, no secrets. */
export function minimalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'USER', 'LOGNAME']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

export function runCommandTool(grant: RunCommandGrant): Tool {
  return defineTool(
    'run_command',
    `Run a command (no shell) and get its exit code and output. Allowed command prefixes: ${grant.allow.map((p) => `"${p.join(' ')}"`).join(', ')}; arguments after a prefix may not be options.`,
    z.object({ argv: z.array(z.string()).min(1).describe('the command and its arguments, e.g. ["git", "status"]') }),
    async ({ argv }, ctx) => {
      const why = refusal(argv, grant.allow);
      if (why) throw new ToolRefusal(`refused: ${why}`);
      return new Promise((resolve, reject) => {
        // Its own process group, so a timeout kills what it started too.
        const child = spawn(argv[0]!, argv.slice(1), { cwd: grant.cwd, env: minimalEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-MAX_OUTPUT)));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-MAX_OUTPUT)));
        let killed = '';
        const killGroup = (why: string) => {
          killed = why;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        };
        const timer = setTimeout(() => killGroup('timeout'), grant.timeoutMs ?? 60_000);
        const onAbort = () => killGroup('agent stopping');
        ctx.signal?.addEventListener('abort', onAbort, { once: true });
        child.once('error', (err) => {
          clearTimeout(timer);
          reject(new Error(`cannot run ${argv[0]}: ${err.message}`));
        });
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          ctx.signal?.removeEventListener('abort', onAbort);
          const status = killed ? `killed: ${killed}` : signal ? `killed by ${signal}` : `exit ${code}`;
          resolve(`${status}\n--- stdout\n${stdout.slice(-8000)}\n--- stderr\n${stderr.slice(-4000)}`);
        });
      });
    },
    ({ argv }) => refusal(argv, grant.allow),
  );
}
