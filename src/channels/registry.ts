/** The config's `channel:` → a Channel. A relay without one talks through the terminal. */
import { join } from 'node:path';
import type { Config, ResolvedAgent } from '../config/index.ts';
import type { ChannelConfig } from '../config/schema.ts';
import type { Check } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { ChannelError, type Channel } from './channel.ts';
import { checkTelegram, createTelegramChannel } from './telegram.ts';
import { createTerminalChannel } from './terminal.ts';
import { checkWhatsApp, createWhatsAppChannel } from './whatsapp.ts';

export const terminalSocketPath = (config: Config, agent: string) => join(config.stateDir, 'agents', agent, 'chat.sock');

export const channelOf = (agent: ResolvedAgent): ChannelConfig => agent.channel ?? { type: 'terminal', language: 'he', pace: { perChatMs: 0, perInstanceMs: 0 } };

/** The agent's channel; `now` is the clock its health is judged by (the relay's). */
export function createChannel(config: Config, agent: ResolvedAgent, logger: Logger, now: () => number = Date.now): Channel {
  const ch = channelOf(agent);
  switch (ch.type) {
    case 'whatsapp':
      return createWhatsAppChannel({
        apiUrl: ch.apiUrl,
        idInstance: ch.idInstance,
        apiToken: ch.apiToken,
        receive: ch.receive,
        receiveTimeoutS: ch.receiveTimeoutS,
        maxSilenceMs: ch.maxSilence,
        ...(ch.webhook ? { webhook: ch.webhook } : {}),
        now,
        logger,
      });
    case 'telegram':
      return createTelegramChannel({
        token: ch.token,
        ...(ch.apiRoot ? { apiRoot: ch.apiRoot } : {}),
        receive: ch.receive,
        pollTimeoutS: ch.receiveTimeoutS,
        maxSilenceMs: ch.maxSilence,
        ...(ch.webhook ? { webhook: ch.webhook } : {}),
        now,
        logger,
      });
    case 'terminal': {
      const path = terminalSocketPath(config, agent.name);
      // A Unix socket path is limited to 107 bytes.
      if (Buffer.byteLength(path) > 107) throw new ChannelError(`the terminal socket path ${path} is too long for a Unix socket; use a shorter stateDir`, { retryable: false });
      return createTerminalChannel({ socketPath: path, logger });
    }
  }
}

/**
 * An agent's channel checks itself for `agentnet doctor` with one cheap authenticated call;
 * nothing for the terminal (no provider), a skip when `offline`.
 */
export async function checkChannel(agent: ResolvedAgent, o: { timeoutMs: number; offline?: boolean }): Promise<Check | undefined> {
  const ch = agent.channel;
  if (!ch || ch.type === 'terminal') return undefined;
  const check = `channel ${agent.name} (${ch.type})`;
  if (o.offline) return { check, status: 'skip', detail: '--offline' };
  if (ch.type === 'whatsapp') return checkWhatsApp(check, { apiUrl: ch.apiUrl, idInstance: ch.idInstance, apiToken: ch.apiToken, timeoutMs: o.timeoutMs });
  return checkTelegram(check, { token: ch.token, ...(ch.apiRoot ? { apiRoot: ch.apiRoot } : {}), timeoutMs: o.timeoutMs });
}
