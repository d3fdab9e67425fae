/** What the owner reads: the request and each answer's outcome, in English and Hebrew. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approvalButtons, settledText } from '../../src/relay/approval-asks.ts';
import { tapNotice } from '../../src/relay/approval-tap.ts';
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

  it('the buttons: Approve and Deny bound to this approval, in the channel\'s language; none when the id would not fit a button', () => {
    assert.deepEqual(approvalButtons(approval, 'en'), [{ text: '✅ Approve', data: 'approve:approval-1' }, { text: '🚫 Deny', data: 'deny:approval-1' }]);
    assert.deepEqual(approvalButtons(approval, 'he').map((b) => b.text), ['✅ אשר', '🚫 דחה']);
    assert.deepEqual(approvalButtons({ ...approval, id: `approval-${'x'.repeat(60)}` }, 'en'), []);
  });

  it('a settled ask keeps who asked for what and why, and says what became of it; a pending one is not settled', () => {
    const head = '🔐 kaylee asks for your yes: deploy production\nWhy: schedule "deploy-prod", task task-1';
    assert.equal(settledText({ ...approval, status: 'approved', decidedBy: '111' }, false, 'en'), `${head}\n✅ Approved by 111 (4821).`);
    assert.equal(settledText({ ...approval, status: 'denied', decidedBy: '111' }, false, 'en'), `${head}\n🚫 Denied by 111 (4821).`);
    assert.equal(settledText({ ...approval, status: 'expired' }, false, 'en'), `${head}\n⌛ Expired without an answer (4821).`);
    assert.equal(settledText(approval, true, 'en'), `${head}\n⌛ Expired without an answer (4821).`, 'its time ran out before the store marked it');
    assert.equal(settledText(approval, false, 'en'), undefined);
    assert.match(settledText({ ...approval, status: 'approved', decidedBy: '111' }, false, 'he')!, /^🔐 kaylee מבקש את אישורך: deploy production\n.*\n✅ אושר על ידי 111 \(4821\)\.$/s);
  });

  it('a tap\'s notice on the phone: what it did, or why it did nothing', () => {
    const approved = { ...approval, status: 'approved' as const, decidedBy: '111' };
    assert.equal(tapNotice({ outcome: 'decided', approval: approved }, 'en'), '✅ Approved');
    assert.equal(tapNotice({ outcome: 'decided', approval: { ...approval, status: 'denied' } }, 'he'), '🚫 נדחה');
    assert.equal(tapNotice({ outcome: 'already-decided', approval: approved }, 'en'), 'Already approved by 111; nothing changed');
    assert.equal(tapNotice({ outcome: 'expired', approval }, 'en'), '⌛ Expired; nothing was decided');
    assert.equal(tapNotice({ outcome: 'unknown' }, 'en'), 'No such request; nothing was decided');
    for (const lang of ['en', 'he'] as const) {
      for (const r of [{ outcome: 'unknown' as const }, { outcome: 'already-decided' as const, approval: approved }]) assert.ok(tapNotice(r, lang).length <= 200, 'within Telegram\'s 200 characters');
    }
  });
});
