/** Every CLI command, in the order `agentnet --help` lists them. */
import { bridgeDoneCommand } from './bridge-done.ts';
import { chatCommand } from './chat.ts';
import { bridgeLsCommand } from './bridge-ls.ts';
import { bridgeRotateCommand } from './bridge-rotate.ts';
import { bridgeSendCommand } from './bridge-send.ts';
import { bridgeStatsCommand } from './bridge-stats.ts';
import { bridgeTailCommand } from './bridge-tail.ts';
import type { Command } from './command.ts';
import { configCheckCommand } from './config-check.ts';
import { deploySystemdCommand } from './deploy.ts';
import { doctorCommand } from './doctor.ts';
import { dashboardCommand } from './dashboard.ts';
import { mcpCommand } from './mcp.ts';
import { migrateBridgeCommand } from './migrate.ts';
import { claudeInstallCommand, claudeSessionStartCommand, claudeUninstallCommand } from './claude.ts';
import { initCommand } from './init.ts';
import { runCommand } from './agent-run.ts';
import { logsCommand } from './logs.ts';
import { pauseCommand, resumeCommand } from './pause.ts';
import { statusCommand } from './status.ts';
import { upCommand } from './up.ts';
import { tasksAddCommand, tasksCancelCommand, tasksLsCommand, tasksRetryCommand, tasksShowCommand } from './tasks.ts';
import { memoryGetCommand, memoryLsCommand, memoryRmCommand, memorySetCommand } from './memory.ts';

export const COMMANDS: Command[] = [
  initCommand,
  configCheckCommand,
  upCommand,
  runCommand,
  chatCommand,
  mcpCommand,
  claudeInstallCommand,
  claudeUninstallCommand,
  claudeSessionStartCommand,
  statusCommand,
  doctorCommand,
  dashboardCommand,
  pauseCommand,
  resumeCommand,
  logsCommand,
  bridgeSendCommand,
  bridgeLsCommand,
  bridgeTailCommand,
  bridgeDoneCommand,
  bridgeRotateCommand,
  migrateBridgeCommand,
  bridgeStatsCommand,
  tasksLsCommand,
  tasksShowCommand,
  tasksAddCommand,
  tasksRetryCommand,
  tasksCancelCommand,
  memoryGetCommand,
  memorySetCommand,
  memoryLsCommand,
  memoryRmCommand,
  deploySystemdCommand,
];
