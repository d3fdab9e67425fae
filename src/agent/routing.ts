/**
 * Who a bridge message is for. Messages with `to` go there. Seed files have no `to`: there a
 * request or notification goes to the orchestrator ("the brain the others report to") and a
 * response to the relay (the seed's Kami delivers Claude's responses).
 */
import type { BridgeMessage } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';

export function firstWithRole(config: Config, role: string): string | undefined {
  return Object.values(config.agents).find((a) => a.role === role)?.name;
}

export function recipientOf(msg: BridgeMessage, config: Config): string | undefined {
  if (msg.to) return msg.to;
  return msg.type === 'response' ? firstWithRole(config, 'relay') : firstWithRole(config, 'orchestrator');
}
