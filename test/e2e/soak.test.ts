/**
 * The short soak (bench/soak.ts, about two minutes): a whole network under lockless and locked
 * writers and the owner's WhatsApp, with agents and `up` SIGKILLed, rotations (some killed),
 * poison lines, a paused backlog, Green API and the model down for a while. Counted at the
 * end: nothing lost, nothing answered twice, nothing stuck, no torn line, each poison line
 * quarantined once, every answer at the phone (twice only across a relay SIGKILL).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAccount, runSoak } from '../../bench/soak.ts';
import { tempDir } from '../helpers/util.ts';

describe('the short soak', () => {
  it('loses nothing and answers nothing twice through crashes, rotations, poison and outages', { timeout: 600_000 }, async () => {
    const t = tempDir('agentnet-soak-');
    try {
      const a = await runSoak({
        dir: t.dir,
        chaosSeconds: 60,
        steadySeconds: 20,
        rates: { lockless: 1, locked: 1, whatsapp: 0.5 },
        killEverySeconds: 12,
        rotateEverySeconds: 5,
        pauseSeconds: 5,
        burst: 40,
        greenDownSeconds: 8,
        modelDownSeconds: 10,
        poisonEvery: 25,
        drainTimeoutSeconds: 180,
      });
      const report = formatAccount(a);
      assert.ok(a.sent.total > 150, report);
      assert.ok(a.restarts.agents + a.restarts.up >= 2 && a.restarts.rotations >= 5, report);
      assert.deepEqual(a.lost, [], report);
      assert.deepEqual(a.answeredTwice, [], report);
      assert.deepEqual(a.stuck, [], report);
      assert.equal(a.tornLines, 0, report);
      assert.equal(a.quarantined, a.sent.poison, report);
      assert.equal(a.answeredOnce, a.sent.total - a.sent.poison, report);
      // A relay SIGKILLed between Green API's accept and its ledger record sends that one again
      // (sendMessage has no idempotency key): allowed only with such a kill between the sends.
      assert.deepEqual(a.phone.unexplained, [], report);
      assert.deepEqual(a.phone.never, [], report);
    } finally {
      t.cleanup();
    }
  });
});
