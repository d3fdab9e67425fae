/** `agentnet claude install | uninstall | session-start`: Claude Code as the orchestrator. */
import { resolve } from 'node:path';
import { findConfigFile } from '../config/index.ts';
import { loadNetworkConfig } from './network-config.ts';
import { AgentnetError } from '../errors.ts';
import { installClaude, uninstallClaude } from '../orchestrator/claude-settings.ts';
import { runSessionStart } from '../orchestrator/session-start.ts';
import { AGENTNET_BIN } from '../config/bin.ts';
import { firstWithRole } from '../agent/routing.ts';
import { CONFIG_HELP, CONFIG_OPTION, type Command } from './command.ts';

/** One word for a POSIX shell. */
const sh = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

export const claudeInstallCommand: Command = {
  usage: 'agentnet claude install [--project DIR] [--shared] [--as AGENT] [--push] [--force] [-c FILE]',
  help: `Merges into the project's Claude Code configuration, keeping everything already there:
  .mcp.json                    mcpServers.agentnet: this agentnet's MCP server (agentnet mcp)
  .claude/settings.local.json  a SessionStart hook (startup, resume, clear, compact) running
                               agentnet claude session-start, which puts the pending requests
                               into each new session's context; "agentnet" in
                               enabledMcpjsonServers so the server starts without a prompt;
                               and "mcp__agentnet" in permissions.allow so its tools run
                               without one (claude -p can use them)
The paths are this machine's, so the hook goes to settings.local.json (not committed);
--shared writes .claude/settings.json instead. Running it again updates what it wrote.
agentnet claude uninstall removes exactly this.

Options:
  --project DIR       the project (default: the current directory)
  --shared            hook into .claude/settings.json instead of settings.local.json
  --as AGENT          the orchestrator agent the session speaks for (default: the config's)
  --push              the MCP server also announces new requests to a running session
                      (Claude Code channels, research preview; see agentnet mcp --help)
  --force             replace an "agentnet" MCP server entry agentnet did not write
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, project: { type: 'string' }, shared: { type: 'boolean' }, as: { type: 'string' }, push: { type: 'boolean' }, force: { type: 'boolean' } },
  async run(values, _p, io) {
    const file = findConfigFile(values.config as string | undefined, io.env, io.cwd);
    const { config } = loadNetworkConfig(file, { env: io.env, agents: [] });
    const first = firstWithRole(config, 'orchestrator');
    const agent = (values.as as string | undefined) ?? first;
    if (!agent || !config.agents[agent]) throw new AgentnetError('AGENT_UNKNOWN', agent ? `no agent "${agent}" in ${file}` : `no orchestrator agent in ${file}; name one with --as AGENT`);
    const projectDir = resolve(io.cwd, (values.project as string | undefined) ?? '.');
    // A bridge file is read directly (fast); a bridge in PostgreSQL through the config, so no
    // connection URL (with its password) is written into Claude Code's settings.
    const jsonl = config.bridge.backend === 'jsonl';
    const hook = [
      ...[process.execPath, AGENTNET_BIN, 'claude', 'session-start'],
      ...(jsonl ? ['--bridge', config.bridge.path] : ['--config', file]),
      ...['--as', agent, ...(agent === first ? ['--default'] : [])],
      ...(jsonl ? ['--store', config.store.path] : []),
      ...['--network', config.network],
    ];
    const changes = installClaude(
      {
        projectDir,
        shared: values.shared === true,
        server: { type: 'stdio', command: process.execPath, args: [AGENTNET_BIN, 'mcp', '--config', file, ...(values.as ? ['--as', agent] : []), ...(values.push ? ['--push'] : [])] },
        hookCommand: hook.map(sh).join(' '),
      },
      values.force === true,
    );
    io.out(changes.length ? changes.map((c) => `${c}\n`).join('') : 'already installed; nothing changed\n');
    io.out(`A new Claude Code session in ${projectDir} now starts with ${agent}'s pending requests and has the agentnet tools (bridge_inbox, bridge_claim, bridge_reply, ...).\n`);
    if (values.push) io.out('New requests are pushed into a running session where Claude Code has channels: start it with claude --dangerously-load-development-channels server:agentnet\n');
  },
};

export const claudeUninstallCommand: Command = {
  usage: 'agentnet claude uninstall [--project DIR]',
  help: `Removes the agentnet MCP server from .mcp.json, and the SessionStart hook, the
enabledMcpjsonServers entry and the permissions.allow rule "mcp__agentnet" from
.claude/settings.local.json and .claude/settings.json; everything else in those files
stays. A file left empty is removed.

Options:
  --project DIR       the project (default: the current directory)`,
  options: { project: { type: 'string' } },
  async run(values, _p, io) {
    const changes = uninstallClaude(resolve(io.cwd, (values.project as string | undefined) ?? '.'));
    io.out(changes.length ? changes.map((c) => `${c}\n`).join('') : 'agentnet was not installed there; nothing changed\n');
  },
};

export const claudeSessionStartCommand: Command = {
  usage: 'agentnet claude session-start (--bridge FILE [--store FILE] | --config FILE) --as AGENT [--default] [--network NAME]',
  help: `What the hook that agentnet claude install writes runs. Prints the pending requests for
AGENT, most urgent first, or that there are none; Claude Code adds the text to the session's
context. A jsonl bridge is read directly from --bridge (no config); a bridge in PostgreSQL
through --config, giving up after 5 s. Exits 0 whatever happens.`,
  positionals: true,
  options: { bridge: { type: 'string' }, config: { type: 'string', short: 'c' }, as: { type: 'string' }, default: { type: 'boolean' }, store: { type: 'string' }, network: { type: 'string' } },
  async run(values, _p, io) {
    // bin/agentnet.js takes this command before the CLI loads; this is the same code, for main().
    const argv = Object.entries(values).flatMap(([k, v]) => (v === true ? [`--${k}`] : typeof v === 'string' ? [`--${k}`, v] : []));
    return runSessionStart(argv, io.out, io.err);
  },
};
