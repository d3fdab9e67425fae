/**
 * `agentnet up`'s supervisor: one child process per agent (`agentnet run <agent>`), restarted
 * when it fails the way systemd's Restart=on-failure would (a non-zero exit or a signal, not
 * exit 0): after RestartSec (10 s, the seed's), doubling on repeated crashes up to 5 minutes,
 * back to 10 s after a healthy minute.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AGENTNET_BIN } from '../config/bin.ts';

/**
 * Node flags for an agent process (here and in systemd units). A 1 MiB young generation instead
 * of V8's 16 MiB: the startup burst grows it and an idle agent never shrinks it back, which
 * costs ~5 MiB resident per agent (bench/README.md). Agents allocate little once running.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1'];

export interface SupervisorOptions {
  configFile: string;
  agents: string[];
  restartSec?: number;
  /** Lifecycle lines for the operator. */
  say: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

interface Child {
  name: string;
  process?: ChildProcess;
  startedAt: number;
  crashes: number;
  timer?: NodeJS.Timeout;
  lastStderr: string;
}

const HEALTHY_MS = 60_000;
const MAX_DELAY_S = 300;

export class Supervisor {
  readonly #opts: SupervisorOptions;
  readonly #children = new Map<string, Child>();
  #stopping = false;

  constructor(options: SupervisorOptions) {
    this.#opts = options;
  }

  start(): void {
    for (const name of this.#opts.agents) {
      const child: Child = { name, startedAt: 0, crashes: 0, lastStderr: '' };
      this.#children.set(name, child);
      this.#spawn(child);
    }
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.#children.values()].map((c) => [c.name, c.process?.pid]));
  }

  #spawn(child: Child): void {
    child.startedAt = Date.now();
    child.lastStderr = '';
    // Own process group: a Ctrl-C in the terminal reaches `up` only, which then stops each agent
    // once. The IPC channel closes if `up` dies, and the agent then stops by itself.
    const p = spawn(process.execPath, [...AGENT_NODE_FLAGS, AGENTNET_BIN, 'run', child.name, '--config', this.#opts.configFile, '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      detached: true,
      env: { ...process.env, ...this.#opts.env },
    });
    child.process = p;
    p.stderr!.setEncoding('utf8').on('data', (d: string) => {
      child.lastStderr = (child.lastStderr + d).slice(-2000);
    });
    let gone = false;
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      if (gone) return;
      gone = true;
      this.#exited(child, p, code, signal);
    };
    // A process that could not be spawned emits only 'error': count it as a failed start.
    p.once('error', (err) => {
      child.lastStderr += `cannot start: ${err.message}`;
      exited(null, null);
    });
    p.once('exit', exited);
  }

  #exited(child: Child, p: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child.process === p) child.process = undefined;
    if (this.#stopping) return;
    const ranMs = Date.now() - child.startedAt;
    if (code === 0) {
      // Like systemd's Restart=on-failure: an agent that exits cleanly on its own stays stopped.
      this.#opts.say(`${child.name} exited cleanly after ${Math.round(ranMs / 1000)} s; not restarting it`);
      return;
    }
    child.crashes = ranMs >= HEALTHY_MS ? 1 : child.crashes + 1;
    const base = this.#opts.restartSec ?? 10;
    const delay = Math.min(MAX_DELAY_S, base * 2 ** (child.crashes - 1));
    const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const tail = child.lastStderr.trim().split('\n').slice(-3).join(' | ');
    this.#opts.say(`${child.name} ${why} after ${Math.round(ranMs / 1000)} s${tail ? ` (${tail})` : ''}; restarting in ${delay} s`);
    child.timer = setTimeout(() => {
      child.timer = undefined;
      if (!this.#stopping) {
        this.#spawn(child);
        if (child.process?.pid) this.#opts.say(`${child.name} restarted (pid ${child.process.pid})`);
      }
    }, delay * 1000);
  }

  /** SIGTERM to every agent (each finishes or releases its message), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    const waits: Promise<void>[] = [];
    for (const c of this.#children.values()) {
      if (c.timer) clearTimeout(c.timer);
      const p = c.process;
      if (!p || p.exitCode !== null || p.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => p.kill('SIGKILL'), graceMs);
          p.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          p.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
  }
}
