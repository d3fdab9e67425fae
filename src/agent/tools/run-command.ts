/**
 * run_command: runs an allow-listed command without a shell. The argv must start with one of
 * the configured prefixes; shell syntax, interpreters and paths not on the list are refused
 * with the reason, so the model can adapt instead of retrying blindly.
 */
import { execFile } from 'node:child_process';
import { z } from 'zod';
import { defineTool, ToolRefusal, type Tool } from './tool.ts';

export interface RunCommandGrant {
  allow: string[][];
  cwd?: string;
  timeoutMs?: number;
}

const SHELL = /^(\||\|\||&&|;|&|>|>>|<|<<|2>|2>&1)$|[`]|\$\(|\$\{/;
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'fish', 'python', 'python3', 'node', 'perl', 'ruby', 'php', 'lua', 'env', 'sudo', 'su', 'xargs', 'eval', 'exec', 'nohup', 'busybox']);

/** Why this argv may not run, or undefined if it may. */
export function refusal(argv: string[], allow: string[][]): string | undefined {
  if (argv.length === 0) return 'empty command';
  const allowed = allow.some((prefix) => prefix.length <= argv.length && prefix.every((p, i) => argv[i] === p));
  if (allowed) {
    const bad = argv.find((a) => SHELL.test(a));
    return bad === undefined ? undefined : `"${bad}" is shell syntax; commands run without a shell, so pipes, redirects and substitutions do not work`;
  }
  const list = allow.map((p) => p.join(' ')).join('; ');
  const cmd = argv[0]!;
  const base = cmd.split('/').pop()!;
  if (INTERPRETERS.has(base)) return `${cmd} is an interpreter (it could run anything); only these commands are allowed: ${list}`;
  if (cmd.includes('/')) return `${cmd} is a path outside the allow-list; allowed: ${list}`;
  return `"${argv.join(' ')}" is not on the allow-list; allowed: ${list}`;
}

export function runCommandTool(grant: RunCommandGrant): Tool {
  return defineTool(
    'run_command',
    `Run a command (no shell) and get its exit code and output. Allowed command prefixes: ${grant.allow.map((p) => `"${p.join(' ')}"`).join(', ')}.`,
    z.object({ argv: z.array(z.string()).min(1).describe('the command and its arguments, e.g. ["git", "status"]') }),
    async ({ argv }, ctx) => {
      const why = refusal(argv, grant.allow);
      if (why) throw new ToolRefusal(`refused: ${why}`);
      return new Promise((resolve) => {
        execFile(
          argv[0]!,
          argv.slice(1),
          { cwd: grant.cwd, timeout: grant.timeoutMs ?? 60_000, maxBuffer: 1 << 20, shell: false, ...(ctx.signal ? { signal: ctx.signal } : {}) },
          (err, stdout, stderr) => {
            const code = err ? ((err as { code?: unknown }).code ?? 'error') : 0;
            const killed = err && (err as { killed?: boolean }).killed ? ' (killed: timeout)' : '';
            resolve(`exit ${String(code)}${killed}\n--- stdout\n${stdout.slice(-8000)}\n--- stderr\n${stderr.slice(-4000)}`);
          },
        );
      });
    },
  );
}
