/**
 * The asks on the owners' phones: one per owner chat, keyed `approval:<id>:<chat>` in the ledger,
 * with Approve and Deny buttons where the channel has them (Telegram). Once the request is settled
 * (decided, or expired) the asks the relay sent are edited to say so, and lose their buttons: best
 * effort, since the store, not the message, is the truth (a tap on a stale button is told so).
 */
import { BUTTON_DATA_MAX_BYTES } from '../channels/index.ts';
import { describeAction, type Approval, type OutboundButton } from '../store/index.ts';
import { approvalTapData } from './approval-answer.ts';
import type { RelayContext } from './context.ts';
import { PHRASES, type Language } from './language.ts';
import { ownerChats } from './owners.ts';

/** The ledger key of the ask to one owner chat. */
export const askKey = (approvalId: string, chat: string): string => `approval:${approvalId}:${chat}`;

/** Approve and Deny, each bound to this one approval by its id. */
export function approvalButtons(a: Approval, lang: Language): OutboundButton[] {
  const labels = PHRASES.approvalButtons[lang];
  const buttons = (['approve', 'deny'] as const).map((decision) => ({ text: labels[decision], data: approvalTapData({ decision, id: a.id }) }));
  // An id too long for a button's data: the ask goes without buttons, and the typed answer still works.
  return buttons.every((b) => Buffer.byteLength(b.data) <= BUTTON_DATA_MAX_BYTES) ? buttons : [];
}

/** What a settled ask says: who asked for what and why, and what became of it. Undefined while it is pending. */
export function settledText(a: Approval, expired: boolean, lang: Language): string | undefined {
  const status = expired || a.status === 'expired' ? 'expired' : a.status;
  if (status === 'pending') return undefined;
  const head = PHRASES.approvalHead[lang]({ agent: a.agent, action: describeAction(a.action), reason: a.reason });
  return `${head}\n${PHRASES.approvalSettled[lang](a.code, status, a.decidedBy ?? '?')}`;
}

/** How far back in a chat's replies the ask is looked for: a request lives minutes, not hundreds of messages. */
const ASK_LOOKBACK = 200;

/**
 * Edits every ask of `a` that went out with buttons to its settled text, without them. `expired`:
 * its time ran out, whatever the store says yet. Never throws: a failure is logged and the asks
 * stay as they are.
 */
export async function settleAsks(relay: RelayContext, a: Approval, expired = false): Promise<void> {
  const { channel, role: ctx } = relay;
  const text = settledText(a, expired, relay.channelConfig.language);
  if (!channel?.edit || text === undefined) return;
  try {
    for (const chat of ownerChats(relay.channelConfig)) {
      const key = askKey(a.id, chat);
      const asks = (await relay.store.ledger.outbound(relay.name, { chatId: chat, limit: ASK_LOOKBACK })).filter((r) => (r.key === key || r.key.startsWith(`${key}#`)) && r.buttons && r.providerId);
      for (const r of asks) {
        await channel.edit(chat, r.providerId!, ctx.redact(text)).catch((err: unknown) => ctx.logger.info({ approval: a.id, messageId: r.providerId, err: (err as Error)?.message ?? String(err) }, 'ask not edited (its buttons stay; a tap on them is told the request is settled)'));
      }
    }
  } catch (err) {
    ctx.logger.warn({ approval: a.id, err }, 'could not look up the asks to settle them');
  }
}
