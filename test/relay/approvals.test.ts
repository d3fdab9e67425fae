/** What the owner reads: the request and each answer's outcome, in English and Hebrew. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerText, askText } from '../../src/relay/approvals.ts';
import type { Approval } from '../../src/store/index.ts';

const approval: Approval = {
  id: 'approval-1',
  code: '4821',
  agent: 'kaylee',
  action: { kind: 'deploy', name: 'production' },
  reason: 'schedule "deploy-prod", task task-1',
  actionKey: 'task-1:deploy:production',
  status: 'pending',
  requestedAt: '2026-12-04T09:00:00.000Z',
  expiresAt: '2026-12-04T09:10:00.000Z',
};
const now = Date.parse('2026-12-04T09:00:00.000Z');

describe('relay approvals: what the owner reads', () => {
  it('the request names the agent, the action, why, the expiry and how to answer', () => {
    assert.equal(
      askText(approval, 'en', now),
      '🔐 kaylee asks for your yes: deploy production\nWhy: schedule "deploy-prod", task task-1\nExpires at 09:10 UTC (in 10 min).\nReply "yes 4821" to approve or "no 4821" to deny.',
    );
    const he = askText(approval, 'he', now);
    assert.match(he, /השב "כן 4821" לאישור או "לא 4821" לדחייה/);
    assert.match(he, /deploy production/);
  });

  it('each outcome of an answer says what happened, nothing decided unless decided', () => {
    const approved = { ...approval, status: 'approved' as const, decidedBy: '972500000000@c.us' };
    assert.match(answerText({ outcome: 'decided', approval: approved }, '4821', 'en'), /^✅ Approved \(4821\): kaylee runs deploy production/);
    assert.match(answerText({ outcome: 'decided', approval: { ...approval, status: 'denied' } }, '4821', 'he'), /^🚫 נדחה \(4821\)/);
    assert.equal(answerText({ outcome: 'already-decided', approval: approved }, '4821', 'en'), 'Approval 4821 was already approved by 972500000000@c.us; nothing changed.');
    assert.match(answerText({ outcome: 'expired', approval }, '4821', 'en'), /^⌛ Approval 4821 has expired; nothing was decided/);
    assert.match(answerText({ outcome: 'unknown' }, '1234', 'en'), /^No approval has the code 1234; nothing was decided/);
    assert.match(answerText({ outcome: 'unknown' }, '1234', 'he'), /אין בקשת אישור עם הקוד 1234/);
  });
});
