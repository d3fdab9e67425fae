import { userInfo } from 'node:os';
import { pauseNetwork, readPause, resumeNetwork } from '../agent/pause.ts';
import { CONFIG_HELP, CONFIG_OPTION, readConfig, type Command } from './command.ts';

export const pauseCommand: Command = {
  name: 'pause',
  summary: 'stop every agent from taking new work (the PAUSE file)',
  usage: 'agentnet pause [--reason TEXT]',
  help: `Creates <stateDir>/PAUSE. Every agent checks it before taking a message or task: what is
in hand finishes, nothing new starts, and /health says "paused". Undo with agentnet resume
(agents continue within a second). Dropping any file named PAUSE there does the same.

Options:
  --reason TEXT       shown in status and the agents' logs
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, reason: { type: 'string' } },
  async run(values, _p, io) {
    const { config } = readConfig(values, io);
    const before = readPause(config.stateDir);
    pauseNetwork(config.stateDir, { by: userInfo().username, ...(values.reason ? { reason: values.reason as string } : {}) });
    io.out(before.paused ? `network ${config.network} was already paused; reason updated\n` : `network ${config.network} paused; agentnet resume to continue\n`);
  },
};

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'let the agents take work again (removes PAUSE)',
  usage: 'agentnet resume',
  help: `Removes <stateDir>/PAUSE; agents continue within a second.

Options:
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION },
  async run(values, _p, io) {
    const { config } = readConfig(values, io);
    io.out(resumeNetwork(config.stateDir) ? `network ${config.network} resumed\n` : `network ${config.network} was not paused\n`);
  },
};
