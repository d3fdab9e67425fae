/** The orchestrator's inbox: pending requests addressed to it, the most urgent and oldest first. */
import { chatOf, type Bridge, type BridgeMessage } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import { recipientOf } from '../agent/routing.ts';
import { PRIORITY_RANK as RANK } from './session-start.ts';

export const priorityOf = (m: BridgeMessage) => (m.metadata?.priority as string | undefined) ?? 'normal';

export async function pendingRequests(bridge: Bridge, config: Config, agent: string): Promise<BridgeMessage[]> {
  const pending = await bridge.list({ type: 'request', status: 'pending' });
  return pending
    .filter((m) => recipientOf(m, config) === agent)
    .sort((a, b) => (RANK[priorityOf(a)] ?? 1) - (RANK[priorityOf(b)] ?? 1) || Date.parse(a.ts) - Date.parse(b.ts));
}

/** One request as the model reads it. */
export function describeRequest(m: BridgeMessage): string {
  const meta = m.metadata ?? {};
  const chat = chatOf(m)?.chat;
  const parts = [
    `id: ${m.id}`,
    `from: ${m.from}${chat ? ` (owner's chat ${chat}${meta.channel ? ` on ${String(meta.channel)}` : ''})` : ''}`,
    `priority: ${priorityOf(m)}`,
    `sent: ${m.ts}`,
    ...(meta.context ? [`context: ${String(meta.context)}`] : []),
    `content: ${m.content}`,
  ];
  return parts.join('\n');
}
