/** `agentnet down`: stops the network's running `agentnet up` (from any terminal) and waits for it. */
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentnetError } from '../errors.ts';
import { processAlive, readUpOwner } from '../ops/owner.ts';
import { CONFIG_HELP, CONFIG_OPTION, readConfig, type Command } from './command.ts';

/** Resolves true once `pid` is gone, false after `ms`. */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

export const downCommand: Command = {
  usage: 'agentnet down [--timeout S] [-c FILE]',
  help: `Stops the network's agentnet up, wherever it was started: sends it SIGTERM (as Ctrl-C
would), and waits until it has stopped every agent gracefully and exited. Says so and exits
0 when the network is not running.

Options:
  --timeout S         how long to wait for up to exit (default 60)
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, timeout: { type: 'string' } },
  async run(values, _positionals, io) {
    const timeout = values.timeout === undefined ? 60 : Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) throw new AgentnetError('USAGE', '--timeout: expected a number of seconds');
    const { config } = readConfig(values, io);
    const owner = readUpOwner(config.stateDir);
    if (!owner) {
      io.out(`network ${config.network} is not running (no agentnet up for ${config.stateDir})\n`);
      return;
    }
    process.kill(owner.pid, 'SIGTERM');
    io.out(`stopping network ${owner.network} (agentnet up, pid ${owner.pid})...\n`);
    if (!(await waitGone(owner.pid, timeout * 1000))) {
      throw new AgentnetError('DOWN_TIMEOUT', `agentnet up (pid ${owner.pid}) is still stopping after ${timeout} s; wait, or kill it: kill ${owner.pid} (its agents stop with it)`);
    }
    io.out('stopped\n');
  },
};
