/** The Approvals conformance suite: written once, run unchanged against every store backend. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAgentnetError } from '../../src/errors.ts';
import type { ApprovalRequest } from '../../src/store/index.ts';
import { collect, lines, spawnNode, waitFor } from '../helpers/util.ts';
import type { StoreCase, StoreHarness } from './queue.case.ts';

const WORKER = new URL('./store-worker.ts', import.meta.url).pathname;
const T0 = Date.parse('2026-12-04T09:00:00Z');
const TTL = 10 * 60_000;

const deploy = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  agent: 'kaylee',
  action: { kind: 'deploy', name: 'production', args: { ref: 'v1.4.2' } },
  reason: 'nightly-deploy (task task-1)',
  ttlMs: TTL,
  actionKey: 'task-1:deploy:production',
  context: { task: 'task-1' },
  at: T0,
  ...over,
});

export function describeApprovals(c: StoreCase): void {
  describe(`Approvals conformance: ${c.name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => (h = await c.create()));
    afterEach(async () => {
      await h.store.close();
      await h.cleanup();
    });
    const a = () => h.store.approvals;

    it('asks with a four-digit code and keeps who asked, what, why and until when', async () => {
      const { approval, created } = await a().request(deploy());
      assert.equal(created, true);
      assert.match(approval.id, /^approval-/);
      assert.match(approval.code, /^\d{4}$/);
      assert.deepEqual(
        [approval.status, approval.agent, approval.action, approval.reason, approval.actionKey, approval.context, approval.requestedAt, approval.expiresAt],
        ['pending', 'kaylee', { kind: 'deploy', name: 'production', args: { ref: 'v1.4.2' } }, 'nightly-deploy (task task-1)', 'task-1:deploy:production', { task: 'task-1' },
          new Date(T0).toISOString(), new Date(T0 + TTL).toISOString()],
      );
      assert.deepEqual(await a().get(approval.id), approval);
      assert.equal(await a().get('approval-none'), undefined);
      const bare = (await a().request(deploy({ actionKey: 'k2', action: { kind: 'tool', name: 'bridge_send' }, context: undefined }))).approval;
      assert.deepEqual([bare.action, 'context' in bare, 'decidedBy' in bare, 'ranAt' in bare], [{ kind: 'tool', name: 'bridge_send' }, false, false, false]);
    });

    it('never asks one action twice: the same key returns the first approval, whatever became of it', async () => {
      const first = (await a().request(deploy())).approval;
      const again = await a().request(deploy({ reason: 'a retry of the task', at: T0 + 1000 }));
      assert.deepEqual([again.created, again.approval], [false, first]);
      await a().decide({ id: first.id, decision: 'deny', by: '972500000001', channel: 'whatsapp', at: T0 + 2000 });
      const afterDeny = await a().request(deploy({ at: T0 + 3000 }));
      assert.deepEqual([afterDeny.created, afterDeny.approval.id, afterDeny.approval.status], [false, first.id, 'denied'], 'a denied action is not asked again');
      const other = await a().request(deploy({ agent: 'claude' }));
      assert.equal(other.created, true, 'the key is per agent');
      assert.equal((await a().list()).length, 1, 'one pending: claude\'s');
    });

    it('rejects a request without its key, action or a positive ttl', async () => {
      for (const bad of [deploy({ actionKey: '' }), deploy({ ttlMs: 0 }), deploy({ action: { kind: 'deploy', name: '' } })]) {
        await assert.rejects(a().request(bad), (e) => isAgentnetError(e, 'USAGE'));
      }
    });

    it('gives the pending approvals distinct codes, drawn at random', async () => {
      const codes: string[] = [];
      for (let i = 0; i < 60; i++) codes.push((await a().request(deploy({ actionKey: `k${i}` }))).approval.code);
      assert.equal(new Set(codes).size, codes.length, 'unique among the pending');
      const steps = new Set(codes.slice(1).map((c, i) => (Number(c) - Number(codes[i]) + 10_000) % 10_000));
      assert.ok(steps.size > 50, `codes do not follow a step: ${codes.join(' ')}`);
    });

    it('takes a decision once: by code or id, recording who, from which channel and when', async () => {
      const { approval } = await a().request(deploy());
      const r = await a().decide({ code: approval.code, decision: 'approve', by: '972500000001', channel: 'whatsapp', at: T0 + 60_000 });
      assert.equal(r.outcome, 'decided');
      assert.ok(r.outcome === 'decided');
      assert.deepEqual([r.approval.status, r.approval.decidedBy, r.approval.channel, r.approval.decidedAt], ['approved', '972500000001', 'whatsapp', new Date(T0 + 60_000).toISOString()]);
      const replay = await a().decide({ code: approval.code, decision: 'deny', by: '972500000001', channel: 'whatsapp', at: T0 + 61_000 });
      assert.deepEqual([replay.outcome, replay.outcome !== 'unknown' && replay.approval.status], ['already-decided', 'approved'], 'a replayed or contrary answer changes nothing');
      const byId = await a().decide({ id: approval.id, decision: 'approve', by: 'terminal', channel: 'terminal', at: T0 + 62_000 });
      assert.equal(byId.outcome, 'already-decided');
      assert.equal((await a().get(approval.id))?.decidedBy, '972500000001');
      const denied = (await a().request(deploy({ actionKey: 'k2' }))).approval;
      const d = await a().decide({ id: denied.id, decision: 'deny', by: 'dashboard', channel: 'dashboard', at: T0 + 1000 });
      assert.deepEqual([d.outcome, d.outcome === 'decided' && d.approval.status], ['decided', 'denied']);
    });

    it('answers an unknown code or id with unknown, not an error', async () => {
      await a().request(deploy());
      const pending = (await a().list())[0]!;
      const other = String((Number(pending.code) + 1) % 10_000).padStart(4, '0');
      assert.deepEqual(await a().decide({ code: other, decision: 'approve', by: 'x', channel: 'whatsapp', at: T0 }), { outcome: 'unknown' });
      assert.deepEqual(await a().decide({ id: 'approval-nope', decision: 'approve', by: 'x', channel: 'whatsapp', at: T0 }), { outcome: 'unknown' });
      assert.deepEqual(await a().decide({ decision: 'approve', by: 'x', channel: 'whatsapp', at: T0 }), { outcome: 'unknown' });
      assert.equal((await a().get(pending.id))?.status, 'pending');
    });

    it('refuses an answer after the expiry, and expire reports each lapsed approval once', async () => {
      const { approval } = await a().request(deploy());
      const early = (await a().request(deploy({ actionKey: 'k-early', ttlMs: 60_000 }))).approval;
      assert.deepEqual(await a().expire(T0 + 59_999), [], 'nothing lapsed yet');
      const late = await a().decide({ code: approval.code, decision: 'approve', by: 'o', channel: 'whatsapp', at: T0 + TTL });
      assert.deepEqual([late.outcome, late.outcome === 'expired' && late.approval.status], ['expired', 'pending'], 'lapsed, not yet marked: expire reports it');
      assert.deepEqual((await a().expire(T0 + 60_000)).map((x) => [x.id, x.status]), [[early.id, 'expired']]);
      assert.deepEqual((await a().expire(T0 + TTL)).map((x) => [x.id, x.status]), [[approval.id, 'expired']]);
      assert.deepEqual(await a().expire(T0 + TTL + 1), [], 'each expiry once');
      // The clock jumps back: an expired approval stays expired.
      const back = await a().decide({ id: approval.id, decision: 'approve', by: 'o', channel: 'whatsapp', at: T0 });
      assert.deepEqual([back.outcome, back.outcome === 'expired' && back.approval.status], ['expired', 'expired']);
      assert.deepEqual((await a().list({ status: 'expired' })).map((x) => x.id), [approval.id, early.id], 'in the order asked');
    });

    it('expire uses the store clock when given no time', async () => {
      const { approval } = await a().request(deploy({ at: undefined, ttlMs: 1000 }));
      assert.deepEqual(await a().expire(), []);
      h.advance(1500);
      assert.deepEqual((await a().expire()).map((x) => x.id), [approval.id]);
    });

    it('records the run of an approved action once', async () => {
      const { approval } = await a().request(deploy());
      await assert.rejects(a().markRun(approval.id, { ok: true }, T0 + 1), (e) => isAgentnetError(e, 'APPROVAL_STATE') && /pending/.test(e.message), 'not approved yet');
      await a().decide({ id: approval.id, decision: 'approve', by: 'o', channel: 'telegram', at: T0 + 1000 });
      const ran = await a().markRun(approval.id, { ok: true, summary: 'deployed v1.4.2' }, T0 + 5000);
      assert.deepEqual([ran.ranAt, ran.runOutcome, ran.status], [new Date(T0 + 5000).toISOString(), { ok: true, summary: 'deployed v1.4.2' }, 'approved']);
      await assert.rejects(a().markRun(approval.id, { ok: true }, T0 + 6000), (e) => isAgentnetError(e, 'APPROVAL_STATE') && /already ran/.test(e.message));
      assert.deepEqual((await a().get(approval.id))?.runOutcome, { ok: true, summary: 'deployed v1.4.2' }, 'the first record stays');
      await assert.rejects(a().markRun('approval-none', null), (e) => isAgentnetError(e, 'APPROVAL_NOT_FOUND'));
      const denied = (await a().request(deploy({ actionKey: 'k2' }))).approval;
      await a().decide({ id: denied.id, decision: 'deny', by: 'o', channel: 'telegram', at: T0 + 1000 });
      await assert.rejects(a().markRun(denied.id, null), (e) => isAgentnetError(e, 'APPROVAL_STATE') && /denied/.test(e.message));
    });

    it('lists the pending ones by default, one status, or all of them for the audit, oldest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await a().request(deploy({ actionKey: `k${i}`, at: T0 + i }))).approval.id);
      await a().decide({ id: ids[1]!, decision: 'approve', by: 'o', channel: 'whatsapp', at: T0 + 10 });
      await a().decide({ id: ids[2]!, decision: 'deny', by: 'o', channel: 'whatsapp', at: T0 + 10 });
      assert.deepEqual((await a().list()).map((x) => x.id), [ids[0], ids[3]]);
      assert.deepEqual((await a().list({ status: 'approved' })).map((x) => x.id), [ids[1]]);
      assert.deepEqual((await a().list({ all: true })).map((x) => x.id), ids);
      assert.deepEqual((await a().list({ all: true, limit: 2 })).map((x) => x.id), ids.slice(2), 'the newest N');
    });

    it('does not hand a decided code to the next request while other codes are free', async () => {
      const first = (await a().request(deploy())).approval;
      await a().decide({ id: first.id, decision: 'approve', by: 'o', channel: 'whatsapp', at: T0 + 1 });
      for (let i = 0; i < 30; i++) assert.notEqual((await a().request(deploy({ actionKey: `k${i}`, at: T0 + 2 }))).approval.code, first.code);
      // Its old answer still finds the decided one, not a new request.
      assert.equal((await a().decide({ code: first.code, decision: 'approve', by: 'o', channel: 'whatsapp', at: T0 + 3 })).outcome, 'already-decided');
    });

    it('two processes deciding the same codes at once: each approval is decided exactly once', async () => {
      const codes: string[] = [];
      for (let i = 0; i < 20; i++) codes.push((await a().request(deploy({ actionKey: `k${i}`, at: undefined }))).approval.code);
      const children = (['approve', 'deny'] as const).map((decision) =>
        spawnNode([WORKER, JSON.stringify(h.spec), 'decide', JSON.stringify({ codes, decision, by: decision })]));
      const outs = children.map((child) => lines(child));
      const done = children.map((child) => collect(child));
      await waitFor(() => outs.every((o) => o.includes('ready')), 'both deciders to open the store');
      for (const child of children) child.stdin!.end('go\n');
      for (const r of await Promise.all(done)) assert.equal(r.code, 0, r.stderr);
      const results = outs.map((o) => new Map(o.filter((l) => l !== 'ready').map((l) => l.split(' ') as [string, string])));
      for (const code of codes) {
        const outcomes = results.map((m) => m.get(code)).sort();
        assert.deepEqual(outcomes, ['already-decided', 'decided'], `code ${code}`);
      }
      for (const p of await a().list({ all: true })) {
        const winner = results.findIndex((m) => m.get(p.code) === 'decided');
        assert.deepEqual([p.status, p.decidedBy], winner === 0 ? ['approved', 'approve'] : ['denied', 'deny'], 'the status is the winner\'s');
      }
    });

    it('two processes asking at once: one approval per key, every pending code distinct', async () => {
      const keys = Array.from({ length: 25 }, (_, i) => `race-${i}`);
      const children = [0, 1].map(() => spawnNode([WORKER, JSON.stringify(h.spec), 'request', JSON.stringify({ keys, agent: 'kaylee' })]));
      const outs = children.map((child) => lines(child));
      const done = children.map((child) => collect(child));
      await waitFor(() => outs.every((o) => o.includes('ready')), 'both askers to open the store');
      for (const child of children) child.stdin!.end('go\n');
      for (const r of await Promise.all(done)) assert.equal(r.code, 0, r.stderr);
      const rows = outs.flatMap((o) => o.filter((l) => l !== 'ready').map((l) => l.split(' ')));
      for (const key of keys) {
        const mine = rows.filter((r) => r[0] === key);
        assert.equal(new Set(mine.map((r) => r[1])).size, 1, `one approval for ${key}`);
        assert.deepEqual(mine.map((r) => r[3]).sort(), ['false', 'true'], `${key} created once`);
      }
      const pending = await a().list();
      assert.equal(pending.length, keys.length);
      assert.equal(new Set(pending.map((p) => p.code)).size, keys.length);
    });
  });
}
