/** `agentnet chat AGENT`: talk to a relay from a terminal (its terminal channel). */
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBridge, type Bridge } from '../bridge/index.ts';
import { channelOf, TERMINAL_CHAT, terminalSocketPath } from '../channels/index.ts';
import { bridgeSpec, findConfigFile, storeSpec } from '../config/index.ts';
import { loadNetworkConfig } from './network-config.ts';
import type { Ledger } from '../store/index.ts';
import { AgentnetError } from '../errors.ts';
import { CONFIG_HELP, CONFIG_OPTION, cliLogger, type Command } from './command.ts';

/**
 * Whether every line sent has its replies, read from what the relay records (its delivery
 * ledger in the store, and the bridge): each line handled by the relay; each escalated line's
 * answer on the bridge and taken by the relay (done); no reply to the terminal still waiting
 * to go out; and every reply that went out since the chat began printed here.
 */
async function repliesIn(bridge: Bridge, ledger: Ledger, relay: string, lineIds: string[], replies: number, sinceMs: number): Promise<boolean> {
  for (const id of lineIds) {
    const rec = await ledger.getInbound(relay, `terminal_${id}`);
    if (!rec || rec.state === 'received') return false;
    if (rec.escalatedAs) {
      const answer = await bridge.answerOf(rec.escalatedAs);
      if (!answer || (await bridge.get(answer.id))?.status !== 'done') return false;
    }
  }
  const out = (await ledger.outbound(relay, { chatId: TERMINAL_CHAT, limit: 1000 })).filter((o) => o.createdAt >= sinceMs);
  if (out.some((o) => o.state === 'pending')) return false;
  return replies >= out.filter((o) => o.state === 'sent').length;
}

export const chatCommand: Command = {
  usage: 'agentnet chat AGENT [--wait SECONDS] [-c FILE]',
  help: `Connects to the running relay AGENT through <stateDir>/agents/AGENT/chat.sock (only the
user the agent runs as can open it: that user is the owner) and sends each line you type as
a message from the owner; the relay's replies are printed as they come. Owner commands work
as on WhatsApp: status, pause, resume, shutdown all. The relay must use the terminal
channel (the default of \`agentnet init\`, and what a relay without channel: uses).

Lines are re-sent if the relay restarts before it recorded them, and never handled twice.
With standard input from a pipe it sends every line and exits once every line has its
replies (the relay's own, and the orchestrator's answer to what it passed on). Ctrl-D at a
terminal leaves.

Options:
  --wait SECONDS      with a pipe: stop waiting for replies after this long without one
                      (default 30)
${CONFIG_HELP}

Example:
  echo status | agentnet chat kami`,
  positionals: true,
  options: { ...CONFIG_OPTION, wait: { type: 'string' } },
  async run(values, positionals, io) {
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new AgentnetError('USAGE', 'give exactly one agent: agentnet chat AGENT');
    const { config } = loadNetworkConfig(findConfigFile(values.config as string | undefined, io.env, io.cwd), { env: io.env, agents: [] });
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
    let replies = 0;
    let finishing = false;
    const startedAt = Date.now();

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
          return; // not a line of the relay's protocol: there is nothing in it to show
        }
        if (m.type === 'ack' && m.id) unacked.delete(m.id);
        else if (m.type === 'message') {
          replies++;
          io.out(`${name}: ${m.text}\n`);
        }
        else if (m.type === 'error') io.err(`agentnet chat: ${m.error}\n`);
      });
      s.on('close', () => {
        if (socket !== s) return;
        socket = undefined;
        if (!finishing) io.err(`agentnet chat: ${name} is not running any more; reconnecting when it is back (Ctrl-C to leave)\n`);
      });
      s.on('error', () => undefined);
      for (const [id, text] of unacked) s.write(`${JSON.stringify({ type: 'message', id, text })}\n`);
    };
    try {
      attach(await open());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new AgentnetError(
        'AGENT_NOT_RUNNING',
        code === 'ENOENT' || code === 'ECONNREFUSED' ? `${name} is not running (no one listens on ${path}); start it with agentnet up or agentnet run ${name}` : `cannot connect to ${path}: ${(err as Error).message}`,
      );
    }
    // Reconnects while the relay restarts; unrecorded lines are sent again.
    const finished = new AbortController();
    const ending = AbortSignal.any([io.signal, finished.signal]);
    const reconnect = (async () => {
      while (!ending.aborted) {
        await sleep(500, undefined, { signal: ending }).catch(() => undefined); // rejects only when the chat ends
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
    const lineIds: string[] = [];
    for await (const line of input) {
      if (!line.trim()) continue;
      const id = randomUUID();
      lineIds.push(id);
      unacked.set(id, line);
      socket?.write(`${JSON.stringify({ type: 'message', id, text: line })}\n`);
      lastActivity = Date.now();
    }
    const quietFor = (wait ?? (interactive ? 0 : 30)) * 1000;
    // Every line recorded, then (with a pipe) its replies, or quiet for the wait.
    const { openStore } = await import('../store/index.ts');
    const bridge = interactive ? undefined : await openBridge(bridgeSpec(config, { watch: false }), cliLogger(io));
    const store = bridge ? await openStore(storeSpec(config)) : undefined;
    try {
      while (!io.signal.aborted && (unacked.size > 0 || Date.now() - lastActivity < quietFor)) {
        if (bridge && store && unacked.size === 0 && (await repliesIn(bridge, store.ledger, name, lineIds, replies, startedAt))) break;
        await sleep(200);
      }
    } finally {
      await store?.close();
      await bridge?.close();
    }
    const lost = unacked.size;
    finishing = true;
    finished.abort();
    socket?.end();
    await reconnect;
    if (lost > 0) {
      io.err(`agentnet chat: ${lost} message(s) not confirmed by ${name}\n`);
      return 1;
    }
  },
};
