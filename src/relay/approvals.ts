/**
 * Approvals on the owner's phone: the relay asks the owners (one message per pending approval and
 * owner chat, keyed `approval:<id>:<chat>` in the ledger, so a restart never asks twice, with
 * Approve/Deny buttons where the channel has them), takes an owner's answer ("yes 4821") before any
 * command, and tells the owners once when a request expires. The store is the truth: the relay
 * finds new requests by polling it, whoever asked. A tap on a button is approval-tap.ts's.
 */
import { describeAction, type Approval, type DecideResult, type InboundRecord, type OutboundButton } from '../store/index.ts';
import { parseApprovalAnswer } from './approval-answer.ts';
import { approvalButtons, askKey, settleAsks } from './approval-asks.ts';
import { enqueue, finish, reply, type RelayContext } from './context.ts';
import { PHRASES, type Language } from './language.ts';
import { ownerChats } from './owners.ts';

/** How often the relay looks for new and expired requests: the owner's phone hears within a second or so. */
export const APPROVAL_POLL_MS = 1000;

/** Runs until the relay stops: each turn marks the expired requests (telling the owners) and asks about the new ones. */
export async function announceApprovals(relay: RelayContext): Promise<void> {
  const { role: ctx, clock, stopping } = relay;
  const announced = new Set<string>(); // saves a write per turn; the ledger's key is what guarantees once
  let caughtUp = false;
  while (!stopping.aborted) {
    try {
      if (!caughtUp) caughtUp = await tellRecentExpiries(relay);
      await announceTurn(relay, announced);
    } catch (err) {
      if (!stopping.aborted) ctx.logger.warn({ err }, 'could not look for approval requests');
    }
    if (!(await clock.sleep(APPROVAL_POLL_MS, stopping).then(() => true, () => false))) return;
  }
}

/** One message per owner chat, each keyed `keyOf(chat)` in the ledger: enqueued once, however often asked. */
const toOwners = (relay: RelayContext, keyOf: (chat: string) => string, text: string, buttons: OutboundButton[] = []) =>
  ownerChats(relay.channelConfig).flatMap((chat) => reply(relay, keyOf(chat), chat, text, buttons));

const tellExpired = (relay: RelayContext, a: Approval) =>
  enqueue(relay, toOwners(relay, (chat) => `approval-expired:${a.id}:${chat}`, PHRASES.approvalExpired[relay.channelConfig.language](a.code, describeAction(a.action), a.agent)));

/** How far back a starting relay looks for expiries it may have marked but not told (killed in between). */
const CATCH_UP_MS = 3600_000;

/** At start: the expiries of the last hour are queued again; those already told are ignored by their ledger key. */
async function tellRecentExpiries(relay: RelayContext): Promise<true> {
  const since = relay.clock.now() - CATCH_UP_MS;
  for (const a of await relay.store.approvals.list({ status: 'expired' })) if (Date.parse(a.expiresAt) >= since) await tellExpired(relay, a);
  return true;
}

async function announceTurn(relay: RelayContext, announced: Set<string>): Promise<void> {
  const { store, clock, channelConfig: chCfg, role: ctx } = relay;
  for (const a of await store.approvals.expire(clock.now())) {
    ctx.logger.info({ approval: a.id, code: a.code, agent: a.agent }, 'approval expired without an answer');
    await tellExpired(relay, a);
    await settleAsks(relay, a, true);
  }
  for (const a of await store.approvals.list({ status: 'pending' })) {
    if (announced.has(a.id)) continue;
    await enqueue(relay, toOwners(relay, (chat) => askKey(a.id, chat), askText(a, chCfg.language, clock.now()), approvalButtons(a, chCfg.language)));
    announced.add(a.id);
    ctx.logger.info({ approval: a.id, code: a.code, agent: a.agent, action: describeAction(a.action) }, 'approval request sent to the owners');
  }
}

/** The request as the owner reads it. */
export function askText(a: Approval, lang: Language, now: number): string {
  const expires = Date.parse(a.expiresAt);
  return PHRASES.approvalAsk[lang]({
    agent: a.agent,
    action: describeAction(a.action),
    reason: a.reason,
    expires: `${new Date(expires).toISOString().slice(11, 16)} UTC`,
    minutes: Math.max(0, Math.ceil((expires - now) / 60_000)),
    code: a.code,
  });
}

/** Takes an owner's answer to a request; false when the message is not one. Only owners reach here (inbound's allow-list). */
export function createApprovalAnswers(relay: RelayContext): (rec: InboundRecord, lang: Language) => Promise<boolean> {
  const { role: ctx, channelConfig: chCfg } = relay;
  return async (rec, lang) => {
    const answer = parseApprovalAnswer(rec.text);
    if (!answer) return false;
    const result = await relay.store.approvals.decide({ code: answer.code, decision: answer.decision, by: rec.sender, channel: chCfg.type, at: relay.clock.now() });
    ctx.logger.info({ key: rec.key, code: answer.code, decision: answer.decision, outcome: result.outcome, approval: 'approval' in result ? result.approval.id : undefined }, 'approval answer');
    await finish(relay, rec, 'handled', reply(relay, `approval-answer:${rec.key}`, rec.chatId, answerText(result, answer.code, lang)));
    if (result.outcome !== 'unknown') await settleAsks(relay, result.approval, result.outcome === 'expired');
    return true;
  };
}

/** What the owner hears back: the decision taken, or why nothing was decided. */
export function answerText(r: DecideResult, code: string, lang: Language): string {
  if (r.outcome === 'unknown') return PHRASES.approvalUnknown[lang](code);
  const a = r.approval;
  const action = describeAction(a.action);
  if (r.outcome === 'expired') return PHRASES.approvalTooLate[lang](code, action);
  if (r.outcome === 'already-decided') return PHRASES.approvalAlreadyDecided[lang](code, a.status, a.decidedBy ?? '?');
  return a.status === 'approved' ? PHRASES.approvalApproved[lang](code, action, a.agent) : PHRASES.approvalDenied[lang](code, action, a.agent);
}
