import { collectSecrets, findConfigFile, loadConfig } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import { startAgent, type RunningAgent } from '../agent/runtime.ts';
import { CONFIG_HELP, CONFIG_OPTION, type Command } from './command.ts';

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
    const { config, secretPaths } = loadConfig(findConfigFile(values.config as string | undefined, io.env, io.cwd), { env: io.env, agents: [name] });
    // Secrets from the config, and secret-looking variables the SDKs read on their own (ANTHROPIC_API_KEY, ...).
    const fromEnv = Object.entries(io.env)
      .filter(([k, v]) => /KEY|TOKEN|SECRET|PASSWORD/i.test(k) && v !== undefined && v.length >= 8)
      .map(([, v]) => v!);
    let running: RunningAgent;
    try {
      running = await startAgent({ config, agent: name, secrets: [...collectSecrets(config, secretPaths), ...fromEnv], stdout: values.quiet !== true, signal: io.signal });
    } catch (err) {
      // Stopped while it waited to start (its PostgreSQL unreachable): a requested stop, not a failure.
      if (!io.signal.aborted) throw err;
      io.err(`agentnet run: ${name} stopped before it had started\n`);
      return 0;
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
