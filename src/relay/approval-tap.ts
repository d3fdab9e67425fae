/**
 * An owner's tap on an ask's Approve or Deny button (a Telegram callback query), recorded in the
 * ledger like any inbound message, so a redelivered update is dropped and a restart finishes what
 * a kill interrupted. The button's data is input from outside: only `approve:<id>` / `deny:<id>`
 * decides, and only the one approval it names, once (the store decides once, whoever asks again).
 * A decision is told in the chat (through the ledger, with the tap's end); every tap is answered
 * with a short notice on the phone, and the asks are settled (their buttons taken away).
 */
import type { DecideResult, InboundRecord } from '../store/index.ts';
import { parseApprovalTap } from './approval-answer.ts';
import { settleAsks } from './approval-asks.ts';
import { answerText } from './approvals.ts';
import { answerTap, finish, reply, type RelayContext } from './context.ts';
import { PHRASES, type Language } from './language.ts';

/** Takes an owner's tap. Only owners reach here (inbound's allow-list); a tap never reaches a command or the conversation. */
export function createApprovalTaps(relay: RelayContext): (rec: InboundRecord, lang: Language) => Promise<void> {
  const { role: ctx, channelConfig: chCfg } = relay;
  return async (rec, lang) => {
    const tap = parseApprovalTap(rec.text);
    const result: DecideResult = tap ? await relay.store.approvals.decide({ id: tap.id, decision: tap.decision, by: rec.sender, channel: chCfg.type, at: relay.clock.now() }) : { outcome: 'unknown' };
    ctx.logger.info({ key: rec.key, tap: tap ?? 'not an approval button', outcome: result.outcome, approval: 'approval' in result ? result.approval.id : undefined }, 'approval tap');
    // Only a decision is worth a message in the chat; a tap that changed nothing says why on the phone alone.
    await finish(relay, rec, 'handled', result.outcome === 'decided' ? reply(relay, `approval-answer:${rec.key}`, rec.chatId, answerText(result, result.approval.code, lang)) : []);
    await answerTap(relay, rec, tapNotice(result, lang));
    if (result.outcome !== 'unknown') await settleAsks(relay, result.approval, result.outcome === 'expired');
  };
}

/** The short notice on the phone: what the tap did, or why it did nothing. */
export function tapNotice(r: DecideResult, lang: Language): string {
  const n = PHRASES.approvalNotice[lang];
  if (r.outcome === 'unknown') return n.unknown;
  if (r.outcome === 'expired') return n.expired;
  if (r.outcome === 'already-decided') return PHRASES.approvalNoticeAlready[lang](r.approval.status, r.approval.decidedBy ?? '?');
  return r.approval.status === 'approved' ? n.approved : n.denied;
}
