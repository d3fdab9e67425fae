/** `agentnet chat AGENT`: talk to a relay from a terminal (its terminal channel). */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { channelOf, terminalSocketPath } from '../channels/index.ts';
import { findConfigFile, loadConfig } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import { CONFIG_HELP, CONFIG_OPTION, type Command } from './command.ts';

export const chatCommand: Command = {
  usage: 'agentnet chat AGENT [--wait SECONDS] [-c FILE]',
  help: `Connects to the running relay AGENT through <stateDir>/agents/AGENT/chat.sock (only the
user the agent runs as can open it: that user is the owner) and sends each line you type as
a message from the owner; the relay's replies are printed as they come. Owner commands work
as on WhatsApp: status, pause, resume, shutdown all. The relay must use the terminal
channel (the default of \`agentnet init\`, and what a relay without channel: uses).

Lines are re-sent if the relay restarts before it recorded them, and never handled twice.
With standard input from a pipe it sends every line, then waits for replies.

Options:
  --wait SECONDS      after input ends, keep printing replies this long (default 30 with a
                      pipe, until Ctrl-C at a terminal)
${CONFIG_HELP}

Example:
  echo status | agentnet chat kami --wait 5`,
  positionals: true,
  options: { ...CONFIG_OPTION, wait: { type: 'string' } },
  async run(values, positionals, io) {
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new AgentnetError('USAGE', 'give exactly one agent: agentnet chat AGENT');
    const { config } = loadConfig(findConfigFile(values.config as string | undefined, io.env, io.cwd), { env: io.env, agents: [] });
    const agent = config.agents[name];
    if (!agent) throw new AgentnetError('AGENT_UNKNOWN', `no agent "${name}" in ${config.file}; agents: ${Object.keys(config.agents).join(', ')}`);
    if (agent.role !== 'relay' || channelOf(agent).type !== 'terminal') {
      throw new AgentnetError('USAGE', `${name} is ${agent.role === 'relay' ? `a relay on ${channelOf(agent).type}, not the terminal` : `the ${agent.role}, not a relay`}; chat talks to a relay whose channel is { type: terminal }`);
    }
    const wait = values.wait === undefined ? undefined : Number(values.wait);
    if (wait !== undefined && !(wait >= 0)) throw new AgentnetError('USAGE', `--wait takes seconds, not "${String(values.wait)}"`);
    const path = terminalSocketPath(config, name);
    const unacked = new Map<string, string>();
    let socket: Socket | undefined;
    let lastActivity = Date.now();

    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    const attach = (s: Socket) => {
      socket = s;
      createInterface({ input: s, crlfDelay: Infinity }).on('line', (line) => {
        lastActivity = Date.now();
        let m: { type?: string; id?: string; text?: string; error?: string };
        try {
          m = JSON.parse(line);
        } catch {
          return;
        }
        if (m.type === 'ack' && m.id) unacked.delete(m.id);
        else if (m.type === 'message') io.out(`${name}: ${m.text}\n`);
        else if (m.type === 'error') io.err(`agentnet chat: ${m.error}\n`);
      });
      s.on('close', () => {
        if (socket === s) socket = undefined;
      });
      s.on('error', () => undefined);
      for (const [id, text] of unacked) s.write(`${JSON.stringify({ type: 'message', id, text })}\n`);
    };
    try {
      attach(await open());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new AgentnetError(
        'USAGE',
        code === 'ENOENT' || code === 'ECONNREFUSED' ? `${name} is not running (no one listens on ${path}); start it with agentnet up or agentnet run ${name}` : `cannot connect to ${path}: ${(err as Error).message}`,
      );
    }
    // Reconnects while the relay restarts; unrecorded lines are sent again.
    const finished = new AbortController();
    const ending = AbortSignal.any([io.signal, finished.signal]);
    const reconnect = (async () => {
      while (!ending.aborted) {
        await sleep(500, undefined, { signal: ending }).catch(() => undefined);
        if (socket || ending.aborted) continue;
        try {
          attach(await open());
        } catch {
          // not back yet
        }
      }
    })();
    const interactive = process.stdin.isTTY === true;
    if (interactive) io.out(`connected to ${name}; type a message, Ctrl-D to leave\n`);
    const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of input) {
      if (!line.trim()) continue;
      const id = randomUUID();
      unacked.set(id, line);
      socket?.write(`${JSON.stringify({ type: 'message', id, text: line })}\n`);
      lastActivity = Date.now();
    }
    const quietFor = (wait ?? (interactive ? 0 : 30)) * 1000;
    // Every line recorded, then replies until it has been quiet for the wait.
    while (!io.signal.aborted && (unacked.size > 0 || Date.now() - lastActivity < quietFor)) await sleep(100);
    const lost = unacked.size;
    finished.abort();
    socket?.end();
    await reconnect;
    if (lost > 0) {
      io.err(`agentnet chat: ${lost} message(s) not confirmed by ${name}\n`);
      return 1;
    }
  },
};
