/**
 * The terminal channel: `agentnet chat <agent>` talks to the relay over a Unix socket in the
 * state directory (mode 0600, so only the agent's own user can connect: that user is the owner).
 * Lines of JSON both ways: `{"type":"message","id","text"}` in, `{"type":"ack","id"}` once
 * recorded, `{"type":"message","id","text"}` out. Replies wait in the ledger while no terminal
 * is attached and go out when one attaches.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../log/logger.ts';
import { ChannelError, type Channel } from './channel.ts';
import { Inbox } from './inbox.ts';

export const TERMINAL_CHAT = 'terminal';
export const TERMINAL_MAX_MESSAGE = 20_000;

export interface TerminalChannelOptions {
  socketPath: string;
  logger: Logger;
}

/** Whether something answers on the socket (another relay running). */
const listening = (path: string) =>
  new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

export function createTerminalChannel(o: TerminalChannelOptions): Channel {
  const inbox = new Inbox();
  const clients = new Set<Socket>();
  const ready: Array<() => void> = [];
  let server: Server | undefined;
  let sent = 0;

  const write = (s: Socket, v: unknown) => s.write(`${JSON.stringify(v)}\n`);

  const attach = (socket: Socket) => {
    clients.add(socket);
    o.logger.info({ terminals: clients.size }, 'terminal attached');
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => clients.delete(socket));
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on('line', (line) => {
      let m: { type?: unknown; id?: unknown; text?: unknown };
      try {
        m = JSON.parse(line);
      } catch {
        return write(socket, { type: 'error', error: 'not a JSON line' });
      }
      if (m.type !== 'message' || typeof m.id !== 'string' || typeof m.text !== 'string' || !m.text.trim()) {
        return write(socket, { type: 'error', error: 'expected {"type":"message","id":"...","text":"..."}' });
      }
      const id = m.id;
      void inbox.put({ key: `terminal_${id}`, chatId: TERMINAL_CHAT, sender: TERMINAL_CHAT, text: m.text, at: Date.now() }).then((ok) => {
        if (!socket.destroyed) write(socket, ok ? { type: 'ack', id } : { type: 'error', id, error: 'the relay is stopping; send it again' });
      });
    });
    for (const l of ready) l();
  };

  return {
    type: 'terminal',
    maxLength: TERMINAL_MAX_MESSAGE,

    async start() {
      mkdirSync(dirname(o.socketPath), { recursive: true, mode: 0o700 });
      if (existsSync(o.socketPath)) {
        if (await listening(o.socketPath)) throw new ChannelError(`another relay is already listening on ${o.socketPath}`, { retryable: false });
        unlinkSync(o.socketPath); // left by a relay that was killed
      }
      const srv = createServer(attach);
      // Created 0600 (the umask, for the synchronous bind only), not chmod-ed after: nobody else can connect in between.
      const umask = process.umask(0o177);
      let bound: Promise<void>;
      try {
        bound = new Promise<void>((resolve, reject) => {
          srv.once('error', (err) => reject(new ChannelError(`cannot listen on ${o.socketPath}: ${err.message}`, { retryable: false, cause: err })));
          srv.listen(o.socketPath, () => resolve());
        });
      } finally {
        process.umask(umask);
      }
      await bound;
      chmodSync(o.socketPath, 0o600);
      server = srv;
    },

    receive: (signal) => inbox.stream(signal),

    async send(chatId, text) {
      if (chatId !== TERMINAL_CHAT) throw new ChannelError(`the terminal channel has one chat, "${TERMINAL_CHAT}", not "${chatId}"`, { retryable: false });
      if (clients.size === 0) throw new ChannelError('no terminal attached (run `agentnet chat <relay>`); the reply waits until one is', { retryable: true });
      const id = `term-${Date.now()}-${++sent}`;
      for (const c of clients) write(c, { type: 'message', id, text });
      return id;
    },

    async health() {
      // No provider: nothing to go deaf; the socket is the receiving side.
      const problems = server === undefined ? [`not listening on ${o.socketPath}`] : [];
      return { ok: problems.length === 0, state: clients.size > 0 ? 'attached' : 'detached', problems, ...(problems.length ? { detail: problems.join('; ') } : {}) };
    },

    onReady: (l) => void ready.push(l),

    async stop() {
      inbox.close();
      for (const c of clients) c.destroy();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      server = undefined;
    },
  };
}
