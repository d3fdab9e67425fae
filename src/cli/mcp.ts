/** `agentnet mcp`: the stdio MCP server Claude Code (or any MCP client) starts. */
import { hostname } from 'node:os';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { storeSpec } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import { createMcpServer, pushRequests } from '../orchestrator/index.ts';
import { firstWithRole } from '../agent/routing.ts';
import { tracedBridge, tracedStore } from '../agent/traced.ts';
import { createTracer, UNRECORDED } from '../agent/tracer.ts';
import { cliLogger, CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';
import { openStore } from '../store/index.ts';
import { version } from './version.ts';

export const mcpCommand: Command = {
  usage: 'agentnet mcp [--as AGENT] [--push] [--headless [--serving REQUEST_ID]] [-c FILE]',
  help: `Serves MCP over standard input and output (logs go to standard error only), for Claude
Code, the Claude Agent SDK, claude -p --mcp-config, Cursor or any MCP client. Tools:
bridge_inbox, bridge_claim, bridge_reply, bridge_send, task_enqueue, task_status,
memory_get, memory_set, memory_list, network_status, request_approval, approval_status.
agentnet claude install registers it.

Options:
  --as AGENT          the orchestrator agent it speaks for (default: the config's orchestrator)
  --push              also announce each new request to the running session as a Claude Code
                      channel event (research preview: start claude with
                      --dangerously-load-development-channels server:agentnet); clients
                      without channels ignore it
  --headless          the client is a headless run of the agent (model: claude-code), which
                      answers with its final message: the server's instructions say so
  --serving ID        the request the headless run answers: a call the agent's approve.tools
                      names asks the owner about it, keyed by that request (default: by this
                      session)
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, as: { type: 'string' }, push: { type: 'boolean' }, headless: { type: 'boolean' }, serving: { type: 'string' } },
  async run(values, _p, io) {
    const { bridge, loaded } = await openConfiguredBridge(values, io);
    const { config } = loaded;
    const agent = (values.as as string | undefined) ?? firstWithRole(config, 'orchestrator');
    if (!agent || !config.agents[agent]) {
      await bridge.close();
      throw new AgentnetError('AGENT_UNKNOWN', agent ? `no agent "${agent}" in ${config.file}` : `no orchestrator agent in ${config.file}; name one with --as AGENT`);
    }
    const store = await openStore(storeSpec(config));
    const push = values.push === true;
    const serving = values.serving as string | undefined;
    // What the session sends or enqueues starts a trace (or joins the one it answers); its hops are the session's.
    const tracer = createTracer({ agent: `mcp:${agent}`, traces: config.traces.record ? store.traces : UNRECORDED, logger: cliLogger(io) });
    const traced = { bridge: tracedBridge(bridge, tracer, (a) => config.agents[a]?.role), store: tracedStore(store, tracer), tracer };
    const server = createMcpServer({ config, ...traced, agent, holder: `mcp:${hostname()}:${process.pid}`, version: version(), push, headless: values.headless === true, logger: cliLogger(io), ...(serving ? { serving } : {}) });
    const closed = new Promise<void>((resolve) => (server.server.onclose = () => resolve()));
    await server.connect(new StdioServerTransport());
    const pushing = push ? pushRequests(server, { bridge, config, agent }, (err) => io.err(`agentnet mcp: could not announce a request: ${(err as Error).message}\n`)) : undefined;
    await pushing?.ready;
    // The client closing our stdin is the end of the session.
    process.stdin.once('end', () => void server.close());
    io.err(`agentnet mcp: serving network ${config.network} as ${agent} on stdio\n`);
    // Until the client goes away (stdin ends) or a signal.
    await Promise.race([closed, new Promise<void>((resolve) => (io.signal.aborted ? resolve() : io.signal.addEventListener('abort', () => resolve(), { once: true })))]);
    await pushing?.close();
    await server.close().catch(() => {}); // the client is gone already: nothing is left to tell it
    await tracer.flush();
    await store.close();
    await bridge.close();
  },
};
