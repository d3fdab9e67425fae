/**
 * Every CLI command, in the order `agentnet --help` lists them. A command's module is imported
 * only when it runs, so `agentnet run` does not carry the MCP SDK, grammY or the dashboard.
 */
import type { Command } from './command.ts';

export interface CommandEntry {
  /** The words that select it, e.g. `bridge send`. */
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'init', summary: "write the seed's three-agent network (claude, kami, kaylee) into a directory", load: async () => (await import('./init.ts')).initCommand },
  { name: 'config check', summary: 'validate the config and print it resolved, with secrets masked', load: async () => (await import('./config-check.ts')).configCheckCommand },
  { name: 'up', summary: 'start every agent of this host and keep them running', load: async () => (await import('./up.ts')).upCommand },
  { name: 'down', summary: 'stop the running agentnet up of this network, from any terminal', load: async () => (await import('./down.ts')).downCommand },
  { name: 'run', summary: 'run one agent in this process (what `up` and systemd start)', load: async () => (await import('./agent-run.ts')).runCommand },
  { name: 'chat', summary: 'talk to a relay from this terminal (its terminal channel)', load: async () => (await import('./chat.ts')).chatCommand },
  { name: 'mcp', summary: 'the MCP server (stdio) that lets Claude Code act as the orchestrator', load: async () => (await import('./mcp.ts')).mcpCommand },
  { name: 'claude install', summary: "register agentnet in a project's Claude Code settings (MCP server + SessionStart hook)", load: async () => (await import('./claude.ts')).claudeInstallCommand },
  { name: 'claude uninstall', summary: 'remove what agentnet claude install added', load: async () => (await import('./claude.ts')).claudeUninstallCommand },
  { name: 'claude session-start', summary: "Claude Code's SessionStart hook: print the pending requests (fast, never fails)", load: async () => (await import('./claude.ts')).claudeSessionStartCommand },
  { name: 'status', summary: "every agent's health, pending bridge messages and paused state", load: async () => (await import('./status.ts')).statusCommand },
  { name: 'doctor', summary: 'check config, state, bridge, store, models, channels, agents and clocks; say what to fix', load: async () => (await import('./doctor.ts')).doctorCommand },
  { name: 'dashboard', summary: 'serve the live dashboard: agents, traffic, tasks; pause/resume, retry dead tasks', load: async () => (await import('./dashboard.ts')).dashboardCommand },
  { name: 'pause', summary: 'stop every agent from taking new work (the PAUSE file)', load: async () => (await import('./pause.ts')).pauseCommand },
  { name: 'resume', summary: 'let the agents take work again (removes PAUSE)', load: async () => (await import('./pause.ts')).resumeCommand },
  { name: 'trace', summary: "a request's timeline: each hop, the time it took, where it stopped", load: async () => (await import('./trace.ts')).traceCommand },
  { name: 'logs', summary: "read the agents' structured logs, filtered; -f to follow", load: async () => (await import('./logs.ts')).logsCommand },
  { name: 'inbox', summary: 'read the answers addressed to you (bridge send --wait prints one at once)', load: async () => (await import('./inbox.ts')).inboxCommand },
  { name: 'bridge send', summary: 'append a message to the bridge', load: async () => (await import('./bridge-send.ts')).bridgeSendCommand },
  { name: 'bridge ls', summary: 'list messages (their latest state), filtered', load: async () => (await import('./bridge-ls.ts')).bridgeLsCommand },
  { name: 'bridge tail', summary: 'show the last messages; with -f, follow new ones live', load: async () => (await import('./bridge-tail.ts')).bridgeTailCommand },
  { name: 'bridge done', summary: 'mark messages done', load: async () => (await import('./bridge-done.ts')).bridgeDoneCommand },
  { name: 'bridge rotate', summary: 'move done messages older than N days to monthly archives', load: async () => (await import('./bridge-rotate.ts')).bridgeRotateCommand },
  { name: 'bridge stats', summary: 'count messages by agent, type and status', load: async () => (await import('./bridge-stats.ts')).bridgeStatsCommand },
  { name: 'migrate bridge', summary: 'copy the bridge from one backend to another (jsonl ↔ postgres), with its history', load: async () => (await import('./migrate.ts')).migrateBridgeCommand },
  { name: 'tasks ls', summary: 'list tasks (newest last), with counts by state', load: async () => (await import('./tasks.ts')).tasksLsCommand },
  { name: 'tasks show', summary: 'one task in full', load: async () => (await import('./tasks.ts')).tasksShowCommand },
  { name: 'tasks add', summary: 'enqueue a task', load: async () => (await import('./tasks.ts')).tasksAddCommand },
  { name: 'tasks retry', summary: 'run a dead or cancelled task again', load: async () => (await import('./tasks.ts')).tasksRetryCommand },
  { name: 'tasks cancel', summary: 'stop a queued or running task from running', load: async () => (await import('./tasks.ts')).tasksCancelCommand },
  { name: 'schedules', summary: "each schedule's last run, next run and missed runs", load: async () => (await import('./schedules.ts')).schedulesCommand },
  { name: 'memory get', summary: 'read a value from the shared memory', load: async () => (await import('./memory.ts')).memoryGetCommand },
  { name: 'memory set', summary: 'write a value to the shared memory', load: async () => (await import('./memory.ts')).memorySetCommand },
  { name: 'memory ls', summary: 'list keys of a namespace', load: async () => (await import('./memory.ts')).memoryLsCommand },
  { name: 'memory rm', summary: 'remove a key from the shared memory', load: async () => (await import('./memory.ts')).memoryRmCommand },
  { name: 'approvals', summary: 'actions waiting for the owner\'s yes: ls [--all] (the audit), approve ID, deny ID', load: async () => (await import('./approvals.ts')).approvalsCommand },
  { name: 'deploy systemd', summary: 'write systemd units (and 0600 environment files) for the agents', load: async () => (await import('./deploy.ts')).deploySystemdCommand },
];
