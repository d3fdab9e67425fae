/** Every CLI command, in the order `agentnet --help` lists them. */
import { bridgeDoneCommand } from './bridge-done.ts';
import { bridgeLsCommand } from './bridge-ls.ts';
import { bridgeRotateCommand } from './bridge-rotate.ts';
import { bridgeSendCommand } from './bridge-send.ts';
import { bridgeStatsCommand } from './bridge-stats.ts';
import { bridgeTailCommand } from './bridge-tail.ts';
import type { Command } from './command.ts';
import { configCheckCommand } from './config-check.ts';
import { initCommand } from './init.ts';

export const COMMANDS: Command[] = [
  initCommand,
  configCheckCommand,
  bridgeSendCommand,
  bridgeLsCommand,
  bridgeTailCommand,
  bridgeDoneCommand,
  bridgeRotateCommand,
  bridgeStatsCommand,
];
