/** `agentnet dashboard`: the live web page, on its own (agentnet up serves it too). */
import { startDashboard } from '../dashboard/index.ts';
import { AgentnetError } from '../errors.ts';
import { CONFIG_HELP, CONFIG_OPTION, cliLogger, openConfiguredBridge, type Command } from './command.ts';

export const dashboardCommand: Command = {
  usage: 'agentnet dashboard [--host H] [--port P]',
  help: `Serves a web page that shows, live (server-sent events), each agent's state, uptime,
last activity, messages processed and model use today against its budget; the bridge
traffic as conversations; messages per minute per agent and type; the task queue; the
approvals waiting for the owner's yes and the past ones. Its buttons pause and resume the
network, retry dead-lettered tasks, and approve or deny (recorded as by "dashboard").
Bound to dashboard.host (127.0.0.1) and dashboard.port (7700) of the config. On any other
address a token is required: dashboard.token, or one generated now and printed in the URL.
agentnet up serves the same page unless dashboard.enabled is false. Ctrl-C stops it.

Options:
  --host H            address to bind (default dashboard.host)
  --port P            port (default dashboard.port)
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, host: { type: 'string' }, port: { type: 'string' } },
  async run(values, _p, io) {
    const { bridge, loaded } = await openConfiguredBridge(values, io);
    const { config } = loaded;
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new AgentnetError('USAGE', `--port "${values.port}": expected a port number`);
    const dashboard = await startDashboard({
      config,
      bridge,
      ...(values.host ? { host: values.host as string } : {}),
      ...(port !== undefined ? { port } : {}),
      logger: cliLogger(io),
    }).catch(async (err) => {
      await bridge.close();
      throw err;
    });
    io.out(`dashboard of network ${config.network}: ${dashboard.url}\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await dashboard.close();
    await bridge.close();
  },
};
