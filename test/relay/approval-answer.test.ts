/** The owner's answer to an approval request: what the relay will recognise before any model runs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approvalTapData, parseApprovalAnswer, parseApprovalTap } from '../../src/relay/approval-answer.ts';
import { parseCommand } from '../../src/relay/commands.ts';

describe('approval answers', () => {
  it('recognises yes and no with a code, in English and Hebrew, whatever the case, spacing and punctuation', () => {
    const cases: Array<[string, 'approve' | 'deny', string]> = [
      ['yes 4821', 'approve', '4821'], ['no 4821', 'deny', '4821'],
      ['approve 4821', 'approve', '4821'], ['deny 4821', 'deny', '4821'],
      ['כן 4821', 'approve', '4821'], ['לא 4821', 'deny', '4821'],
      ['אשר 0042', 'approve', '0042'], ['דחה 0042', 'deny', '0042'],
      ['YES 4821', 'approve', '4821'], ['Yes   4821!', 'approve', '4821'], ['  no 4821.  ', 'deny', '4821'],
      ['yes, 4821', 'approve', '4821'], ['yes: #4821', 'approve', '4821'], ['no-4821', 'deny', '4821'], ['yes4821', 'approve', '4821'],
      ['/approve 4821', 'approve', '4821'], ['Deny 4821?!', 'deny', '4821'], ['yes\n4821', 'approve', '4821'],
      ['4821 yes', 'approve', '4821'], ['4821 כן', 'approve', '4821'],
      ['\u200Fכן 4821\u200F', 'approve', '4821'], ['כן\u200E 4821', 'approve', '4821'],
    ];
    for (const [text, decision, code] of cases) assert.deepEqual(parseApprovalAnswer(text), { decision, code }, JSON.stringify(text));
  });

  it('leaves other text alone: no code, a wrong length, more words', () => {
    for (const text of [
      'yes', 'no', 'כן', '4821', 'yes 482', 'yes 48210', 'yes 4821 please', 'yes 4821 4822', 'no idea 4821',
      'is 4821 ok?', 'yes to 4821', 'yesterday 4821', 'nope 4821', 'approve the deploy', 'deploy 4821', 'yes 4821 and restart nginx',
      'לא יודע 4821', 'כן 48 21', '',
    ]) {
      assert.equal(parseApprovalAnswer(text), undefined, JSON.stringify(text));
    }
  });

  it('an answer is not an owner command, and a bare yes stays the shutdown confirmation', () => {
    assert.equal(parseCommand('yes 4821'), undefined);
    assert.equal(parseCommand('כן 4821'), undefined);
    assert.equal(parseCommand('yes'), 'confirm');
    assert.equal(parseApprovalAnswer('yes'), undefined);
  });

  it('a button\'s data names one decision and one approval; anything else is no tap of ours', () => {
    const id = 'approval-0f8e2c1a-7b3d-4e5f-9a6b-1c2d3e4f5a6b';
    for (const decision of ['approve', 'deny'] as const) {
      const data = approvalTapData({ decision, id });
      assert.ok(Buffer.byteLength(data) <= 64, `${data}: within Telegram's 64 bytes`);
      assert.deepEqual(parseApprovalTap(data), { decision, id });
    }
    for (const data of [
      '', 'approve', 'approve:', `approve:${id} `, ` approve:${id}`, `APPROVE:${id}`, `yes:${id}`, `approve:${id}:x`, 'approve:task-1', `approve:approval-${'a'.repeat(56)}`,
      'approve:approval-1;drop', 'approve:approval-1\n', `deny:${id}\u0000`, '4821', 'yes 4821',
    ]) {
      assert.equal(parseApprovalTap(data), undefined, JSON.stringify(data));
    }
  });
});
