import { userInfo } from 'node:os';
import { pauseEverywhere, readNetworkPause, resumeEverywhere } from '../agent/pause.ts';
import { storeIsLocalFile, storeSpec, type Config } from '../config/index.ts';
import type { Memory } from '../store/index.ts';
import { CONFIG_HELP, CONFIG_OPTION, readConfig, type Command } from './command.ts';

export const pauseCommand: Command = {
  usage: 'agentnet pause [--reason TEXT]',
  help: `Creates <stateDir>/PAUSE. Every agent checks it before taking a message or task: what is
in hand finishes, nothing new starts, and /health says "paused". Undo with agentnet resume
(agents continue within a second). Dropping any file named PAUSE there does the same. With
a PostgreSQL store the pause is kept there instead (not in a file), and the agents of every
host follow it; a PAUSE file still pauses its own host.

Options:
  --reason TEXT       shown in status and the agents' logs
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, reason: { type: 'string' } },
  async run(values, _p, io) {
    const { config } = readConfig(values, io);
    await withSharedMemory(config, async (memory) => {
      const before = await readNetworkPause(config, memory);
      await pauseEverywhere(config, memory, { by: userInfo().username, ...(values.reason ? { reason: values.reason as string } : {}) });
      io.out(before.paused ? `network ${config.network} was already paused; reason updated\n` : `network ${config.network} paused; agentnet resume to continue\n`);
    });
  },
};

export const resumeCommand: Command = {
  usage: 'agentnet resume',
  help: `Removes <stateDir>/PAUSE; agents continue within a second.

Options:
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION },
  async run(values, _p, io) {
    const { config } = readConfig(values, io);
    await withSharedMemory(config, async (memory) => {
      io.out((await resumeEverywhere(config, memory, userInfo().username)) ? `network ${config.network} resumed\n` : `network ${config.network} was not paused\n`);
    });
  },
};

/** A shared store (PostgreSQL) carries the pause to every host: open it for the command. */
async function withSharedMemory(config: Config, fn: (memory: Memory | undefined) => Promise<void>): Promise<void> {
  if (storeIsLocalFile(config)) return fn(undefined);
  const { openStore } = await import('../store/index.ts');
  const store = await openStore(storeSpec(config));
  try {
    await fn(store.memory);
  } finally {
    await store.close();
  }
}
