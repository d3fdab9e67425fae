import { collectSecrets, findConfigFile, type Config } from '../config/index.ts';
import { loadNetworkConfig } from './network-config.ts';
import { AgentnetError, errnoCode, isAgentnetError } from '../errors.ts';
import { agentLogFile } from '../agent/runtime.ts';
import { startAgent, type RunningAgent } from './roles.ts';
import { createAgentLogger } from '../log/agent-logger.ts';
import { createRedactor } from '../log/redact.ts';
import { CONFIG_HELP, CONFIG_OPTION, type CliIo, type Command } from './command.ts';

/**
 * Why an agent did not start, where its operator looks: its own log file (else left empty: the
 * reason was only in `up`'s output) and stderr (the journal under systemd). Resolves with the exit
 * code; an error that is neither ours nor the system's is thrown on, for main to call it a bug.
 */
function reportStartFailure(config: Config, name: string, secrets: string[], err: unknown, io: CliIo): number {
  const code = isAgentnetError(err) ? err.code : errnoCode(err);
  const logger = createAgentLogger({ agent: name, file: agentLogFile(config, name), secrets, stdout: false });
  logger.error({ code: code ?? 'UNEXPECTED', err }, 'start failed');
  logger.flush();
  if (code === undefined) throw err;
  io.err(createRedactor(secrets)(`agentnet run: ${name} could not start (${code}): ${(err as Error).message}\n`));
  return 1;
}

export const runCommand: Command = {
  usage: 'agentnet run AGENT [-c FILE] [--quiet]',
  help: `Runs the agent until SIGTERM or Ctrl-C: it takes the bridge messages addressed to it (from
where it stopped last time), hands each to its role, marks it done, and serves
GET /health and GET /metrics on its health port. Logs go, as JSON lines, to
<stateDir>/logs/AGENT.log and to stdout. Waits while the network is paused. On stop it
finishes the message in hand (up to 10 s) or leaves it for the next start, then exits 0.
It also stops, with exit 0 (so neither up nor systemd restarts it), when the relay
relays the owner's confirmed "shutdown all".

Options:
${CONFIG_HELP}
  --quiet             log to the file only, not stdout`,
  positionals: true,
  options: { ...CONFIG_OPTION, quiet: { type: 'boolean' } },
  async run(values, positionals, io) {
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new AgentnetError('USAGE', 'give exactly one agent name: agentnet run AGENT');
    // Only this agent's ${VAR}s must be set here: the others may run on other machines.
    const { config, secretPaths } = loadNetworkConfig(findConfigFile(values.config as string | undefined, io.env, io.cwd), { env: io.env, agents: [name] });
    // Secrets from the config, and secret-looking variables the SDKs read on their own (ANTHROPIC_API_KEY, ...).
    const fromEnv = Object.entries(io.env)
      .filter(([k, v]) => /KEY|TOKEN|SECRET|PASSWORD/i.test(k) && v !== undefined && v.length >= 8)
      .map(([, v]) => v!);
    const secrets = [...collectSecrets(config, secretPaths), ...fromEnv];
    let running: RunningAgent;
    try {
      running = await startAgent({ config, agent: name, secrets, stdout: values.quiet !== true, signal: io.signal });
    } catch (err) {
      // Stopped while it waited to start (its PostgreSQL unreachable): a requested stop, not a failure.
      if (io.signal.aborted) {
        io.err(`agentnet run: ${name} stopped before it had started\n`);
        return 0;
      }
      // An agent not in the config has no log file to write to.
      if (isAgentnetError(err, 'AGENT_UNKNOWN')) throw err;
      return reportStartFailure(config, name, secrets, err, io);
    }
    const failed = await Promise.race([
      new Promise<false>((resolve) => {
        if (io.signal.aborted) resolve(false);
        else io.signal.addEventListener('abort', () => resolve(false), { once: true });
      }),
      running.failed.then(() => true),
      running.shutdown.then((reason) => {
        io.err(`agentnet run: ${name} stopping: ${reason}\n`);
        return false;
      }),
    ]);
    await running.stop();
    if (failed) {
      io.err(`agentnet run: ${name} stopped: it could not record a message's outcome on the bridge (see its log); a restart delivers the message again\n`);
      return 1;
    }
  },
};
