/** Every channel adapter against the same conformance suite, each through its real client and a fake provider. */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTelegramChannel, createTerminalChannel, createWhatsAppChannel, type Channel } from '../../src/channels/index.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { describeChannel, type ChannelCase } from '../conformance/channel.case.ts';
import { startFakeGreenApi } from '../fakes/fake-green-api.ts';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { freePort, tempDir } from '../helpers/util.ts';

const OWNER = '972501234567';
const STRANGER = '15550001111';

const whatsapp = (receive: 'poll' | 'webhook'): ChannelCase => ({
  name: `whatsapp (Green API, ${receive})`,
  async create() {
    const fake = await startFakeGreenApi({ webhookRetryMs: 100 });
    const token = 'webhook-token-0123456789';
    const port = await freePort();
    const make = (): Channel =>
      createWhatsAppChannel({
        apiUrl: fake.url, idInstance: fake.idInstance, apiToken: fake.apiToken, receive, receiveTimeoutS: 5,
        ...(receive === 'webhook' ? { webhook: { host: '127.0.0.1', port, token } } : {}),
        logger: silentLogger,
      });
    if (receive === 'webhook') fake.setWebhook(`http://127.0.0.1:${port}/`, token);
    return {
      channel: make(),
      strangers: true,
      owner: { chatId: `${OWNER}@c.us`, sender: OWNER },
      inject: async (text, as = 'owner') => void fake.incoming({ from: as === 'owner' ? OWNER : STRANGER, text }),
      sent: (chatId) => fake.sentTo(chatId),
      ready: async () => undefined,
      reopen: async () => make(),
      cleanup: () => fake.close(),
    };
  },
});

const telegram = (receive: 'poll' | 'webhook'): ChannelCase => ({
  name: `telegram (grammY, ${receive})`,
  async create() {
    const fake = await startFakeTelegram({ webhookRetryMs: 100 });
    const port = await freePort();
    const secret = 'tg-secret_0123456789';
    const make = (): Channel =>
      createTelegramChannel({
        token: fake.token, apiRoot: fake.apiRoot, receive, pollTimeoutS: 1,
        ...(receive === 'webhook' ? { webhook: { host: '127.0.0.1', port, secret, url: `http://127.0.0.1:${port}/` } } : {}),
        logger: silentLogger,
      });
    return {
      channel: make(),
      strangers: true,
      owner: { chatId: '111', sender: '111' },
      inject: async (text, as = 'owner') => void fake.incoming({ fromId: as === 'owner' ? 111 : 222, text }),
      sent: (chatId) => fake.sentTo(chatId),
      ready: async () => undefined,
      reopen: async () => make(),
      cleanup: () => fake.close(),
    };
  },
});

/** A terminal client like `agentnet chat`: re-sends what was not acknowledged when it reconnects. */
const terminal: ChannelCase = {
  name: 'terminal (agentnet chat socket)',
  async create() {
    const { dir, cleanup } = tempDir('agentnet-term-');
    const path = join(dir, 'chat.sock');
    const unacked = new Map<string, string>();
    const received: string[] = [];
    let socket: Socket | undefined;
    let closed = false;
    const attach = () =>
      new Promise<void>((resolve) => {
        const s = connect(path);
        s.once('connect', () => {
          socket = s;
          createInterface({ input: s }).on('line', (line) => {
            const m = JSON.parse(line) as { type: string; id: string; text: string };
            if (m.type === 'ack') unacked.delete(m.id);
            if (m.type === 'message') received.push(m.text);
          });
          for (const [id, text] of unacked) s.write(`${JSON.stringify({ type: 'message', id, text })}\n`);
          resolve();
        });
        s.once('close', () => {
          if (socket === s) socket = undefined;
        });
        s.on('error', () => resolve());
      });
    // Reconnects in the background, as the chat command does.
    const loop = (async () => {
      while (!closed) {
        if (!socket) await attach();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let current: Channel;
    const make = () => (current = createTerminalChannel({ socketPath: path, logger: silentLogger }));
    return {
      channel: make(),
      strangers: false,
      owner: { chatId: 'terminal', sender: 'terminal' },
      async inject(text) {
        const id = randomUUID();
        unacked.set(id, text);
        // Sent now if attached; else the next attach sends it with the other unacknowledged ones.
        socket?.write(`${JSON.stringify({ type: 'message', id, text })}\n`);
      },
      sent: () => received,
      async ready() {
        // Attached to the channel that is listening now (not a socket the last one closed).
        for (;;) {
          if (socket && (await current.health()).state === 'attached') return;
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      reopen: async () => make(),
      async cleanup() {
        closed = true;
        socket?.destroy();
        await loop;
        cleanup();
      },
    };
  },
};

describeChannel(whatsapp('poll'));
describeChannel(whatsapp('webhook'));
describeChannel(telegram('poll'));
describeChannel(telegram('webhook'));
describeChannel(terminal);
