/**
 * Alerts to the owner. They go out through the relay's chat channel directly (Green API or
 * Telegram, with the relay's credentials), so an alert is delivered even when the relay itself
 * is what is down. Each alert is also written to the bridge: as a done notification when it was
 * delivered (the record), or as a pending one for the relay to deliver when it could not be.
 * The relay's own alerts (from its watch) go out through its outbox instead.
 */
import type { Bridge } from '../bridge/index.ts';
import { GreenApiClient, loadGrammy, whatsappChatId } from '../channels/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Alerter } from '../agent/health-watch.ts';
import { firstWithRole } from '../agent/routing.ts';
import { enqueue, reply, type RelayContext } from './context.ts';
import { ownerChats } from './owners.ts';

type Direct = { via: 'whatsapp' | 'telegram'; send(text: string): Promise<void> };

/** The relay's channel, if this machine has its credentials (another host's `${VAR}` stays unresolved). */
function directChannel(config: Config): Direct | undefined {
  const relay = Object.values(config.agents).find((a) => a.role === 'relay' && a.channel && a.channel.type !== 'terminal');
  const ch = relay?.channel;
  if (!ch || ch.type === 'terminal' || ch.owners.length === 0) return undefined;
  if (ch.type === 'whatsapp') {
    if (ch.apiToken.includes('${') || ch.idInstance.includes('${')) return undefined;
    const client = new GreenApiClient({ apiUrl: ch.apiUrl, idInstance: ch.idInstance, apiToken: ch.apiToken });
    return { via: 'whatsapp', send: async (text) => void (await Promise.all(ch.owners.map((o) => client.sendMessage(whatsappChatId(o), text)))) };
  }
  if (ch.token.includes('${')) return undefined;
  return {
    via: 'telegram',
    async send(text) {
      const api = new (await loadGrammy()).Api(ch.token, ch.apiRoot ? { apiRoot: ch.apiRoot.replace(/\/+$/, '') } : {});
      await Promise.all(ch.owners.map((o) => api.sendMessage(o, text.slice(0, 4096))));
    },
  };
}

export function createAlerter(o: { config: Config; agent: string; bridge: Bridge; logger: Logger }): Alerter {
  const direct = directChannel(o.config);
  const relay = firstWithRole(o.config, 'relay');
  return {
    async send(text, metadata = {}) {
      if (direct) {
        try {
          await direct.send(text);
          await o.bridge.append({ from: o.agent, ...(relay ? { to: relay } : {}), type: 'notification', status: 'done', content: text, metadata: { ...metadata, alert: true, delivered: direct.via } });
          return direct.via;
        } catch (err) {
          o.logger.warn({ via: direct.via, err }, 'alert not delivered directly; leaving it on the bridge for the relay');
        }
      }
      await o.bridge.append({ from: o.agent, ...(relay ? { to: relay } : {}), type: 'notification', content: text, metadata: { ...metadata, alert: true } });
      return 'bridge';
    },
  };
}

/** The relay's own alerter: to every owner chat through the relay's outbox, and a done record on the bridge. */
export function createRelayAlerter(relay: RelayContext): Alerter {
  const { role: ctx, name, channelConfig: chCfg, clock } = relay;
  return {
    async send(text, metadata = {}) {
      const at = new Date(clock.now()).toISOString();
      await enqueue(relay, ownerChats(chCfg).flatMap((chat) => reply(relay, `alert:${at}:${String(metadata.agent ?? '')}:${String(metadata.state ?? '')}:${chat}`, chat, text)));
      await ctx.bridge.append({ from: name, to: name, type: 'notification', status: 'done', content: text, metadata: { ...metadata, alert: true, delivered: chCfg.type } });
      return chCfg.type === 'terminal' ? 'bridge' : chCfg.type;
    },
  };
}
