import { channelOf } from '../channels/index.ts';
import { hostname } from 'node:os';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentLogFile } from '../agent/runtime.ts';
import { agentsOfThisHost, bridgeSpec, CONFIG_FILE_NAME, findConfigFile, initNetwork } from '../config/index.ts';
import { loadNetworkConfig } from './network-config.ts';
import { AgentnetError, isAgentnetError } from '../errors.ts';
import { healthUrl } from '../agent/health-probe.ts';
import { claimUp, watchLauncher } from '../ops/owner.ts';
import { Supervisor } from '../ops/supervisor.ts';
import { CONFIG_HELP, CONFIG_OPTION, cliLogger, type CliIo, type Command } from './command.ts';
import { openBridge } from '../bridge/index.ts';
import { startDashboard } from '../dashboard/index.ts';
import type { Config } from '../config/index.ts';

async function waitHealthy(url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(500) })).ok) return true;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  return false;
}

/** The dashboard, in this process; a port in use costs a warning, not the network. */
async function serveDashboard(config: Config, io: CliIo): Promise<{ url: string; close(): Promise<void> } | undefined> {
  const logger = cliLogger(io);
  const bridge = await openBridge(bridgeSpec(config, { watch: false }), logger);
  try {
    const d = await startDashboard({ config, bridge, logger });
    return { url: d.url, close: async () => (await d.close(), await bridge.close()) };
  } catch (err) {
    await bridge.close();
    io.err(`agentnet up: no dashboard: ${(err as Error).message}\n`);
    return undefined;
  }
}

export const upCommand: Command = {
  usage: 'agentnet up [AGENT...] [--restart-sec N] [-c FILE]',
  help: `Starts each agent configured for this machine (agents without "host", or with this
hostname) as its own process and restarts one that dies: after 10 s (the seed's RestartSec),
doubling on repeated crashes, back to 10 s after a healthy minute. Prints where each agent's
health endpoint and log are, and serves the dashboard (dashboard.port, 7700) unless the
config says dashboard.enabled: false. Ctrl-C, SIGTERM or agentnet down (from any terminal)
stops them all gracefully; so does the end of the process that started it (npx, a shell
script), so no agent is left behind. One up per state directory: a second one refuses.
With no agentnet.yaml here it first writes the seed's network (as agentnet init does).

Options:
  --restart-sec N     delay before restarting a crashed agent (default 10)
${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION, 'restart-sec': { type: 'string' } },
  async run(values, positionals, io) {
    let file: string;
    try {
      file = findConfigFile(values.config as string | undefined, io.env, io.cwd);
    } catch (err) {
      if (!isAgentnetError(err, 'CONFIG_NOT_FOUND') || values.config || io.env.AGENTNET_CONFIG) throw err;
      initNetwork(io.cwd);
      io.out(`no ${CONFIG_FILE_NAME} here: wrote the seed network (claude, kami, kaylee on the offline model) and prompts/\n`);
      file = findConfigFile(undefined, io.env, io.cwd);
    }
    const restartSec = values['restart-sec'] === undefined ? 10 : Number(values['restart-sec']);
    if (!Number.isFinite(restartSec) || restartSec < 0) throw new AgentnetError('USAGE', '--restart-sec: expected a number of seconds');
    const here = hostname();
    const probe = loadNetworkConfig(file, { env: io.env, agents: [] }).config;
    const mine = agentsOfThisHost(probe);
    const unknown = positionals.filter((p) => !probe.agents[p]);
    if (unknown.length) throw new AgentnetError('AGENT_UNKNOWN', `no agent ${unknown.join(', ')} in ${file}`);
    const agents = positionals.length ? positionals : mine;
    if (agents.length === 0) throw new AgentnetError('USAGE', `no agent in ${file} runs on this host (${here}); set "host" or name agents: agentnet up AGENT`);
    // Validate now what the agents will need, so a missing secret is reported once, here.
    const { config } = loadNetworkConfig(file, { env: io.env, agents });
    const release = claimUp(config.stateDir, config.network, file);
    try {
      await superviseUntilStopped(config, file, agents, restartSec, io);
    } finally {
      release();
    }
  },
};

/** Stops on Ctrl-C/SIGTERM (io.signal) or when the launcher (npx, a script) is gone. */
function stopSignal(io: CliIo): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  io.signal.addEventListener('abort', onAbort, { once: true });
  if (io.signal.aborted) stop.abort();
  const unwatch = watchLauncher((why) => {
    io.err(`agentnet up: ${why}; stopping the network\n`);
    stop.abort();
  });
  return { signal: stop.signal, dispose: () => (unwatch(), io.signal.removeEventListener('abort', onAbort)) };
}

async function superviseUntilStopped(config: Config, file: string, agents: string[], restartSec: number, io: CliIo): Promise<void> {
  const stop = stopSignal(io);
  try {
    await supervise(config, file, agents, restartSec, io, stop.signal);
  } finally {
    stop.dispose();
  }
}

async function supervise(config: Config, file: string, agents: string[], restartSec: number, io: CliIo, signal: AbortSignal): Promise<void> {
  const supervisor = new Supervisor({ configFile: file, agents, restartSec, say: (line) => io.out(`${new Date().toISOString()} ${line}\n`) });
  supervisor.start();
  io.out(`agentnet up: network ${config.network}, ${agents.length} agents (config ${relative(io.cwd, file) || file})\n`);
  await Promise.all(
    agents.map(async (name) => {
      const a = config.agents[name]!;
      const url = healthUrl(a.health.host, a.health.port);
      const ok = await waitHealthy(url, 10_000);
      io.out(`  ${name.padEnd(12)} ${a.role.padEnd(13)} ${ok ? 'up  ' : 'DOWN'} ${url}  log ${relative(io.cwd, agentLogFile(config, name))}\n`);
    }),
  );
  const dashboard = config.dashboard.enabled ? await serveDashboard(config, io) : undefined;
  if (dashboard) io.out(`dashboard: ${dashboard.url}\n`);
  const chat = agents.filter((n) => config.agents[n]!.role === 'relay' && channelOf(config.agents[n]!).type === 'terminal');
  io.out(`agentnet status for a table; agentnet logs -f to follow;${chat.map((n) => ` agentnet chat ${n} to talk to ${n};`).join('')} Ctrl-C or agentnet down to stop\n`);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.out('stopping agents...\n');
  await dashboard?.close();
  await supervisor.stop();
  io.out('stopped\n');
}
