/** The Memory conformance suite: written once, run unchanged against every store backend. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isAgentnetError } from '../../src/errors.ts';
import { runNode } from '../helpers/util.ts';
import type { StoreCase, StoreHarness } from './queue.case.ts';

const WORKER = new URL('./store-worker.ts', import.meta.url).pathname;

export function describeMemory(c: StoreCase): void {
  describe(`Memory conformance: ${c.name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => (h = await c.create()));
    afterEach(async () => {
      await h.store.close();
      await h.cleanup();
    });
    const m = () => h.store.memory;

    it('stores JSON values stamped with who wrote them and when, per namespace', async () => {
      const e = await m().set('kaylee', 'last-deploy', { env: 'staging', ok: true }, { by: 'kaylee' });
      assert.deepEqual([e.version, e.writtenBy, e.value], [1, 'kaylee', { env: 'staging', ok: true }]);
      assert.ok(!Number.isNaN(Date.parse(e.writtenAt)));
      assert.deepEqual(await m().get('kaylee', 'last-deploy'), e);
      assert.equal(await m().get('claude', 'last-deploy'), undefined, 'namespaces are separate');
      const e2 = await m().set('kaylee', 'last-deploy', 'prod', { by: 'claude' });
      assert.deepEqual([e2.version, e2.writtenBy, e2.value], [2, 'claude', 'prod']);
    });

    it('compare-and-set writes only over the version it read', async () => {
      await m().set('ns', 'k', 1, { by: 'a', ifVersion: 0 });
      await assert.rejects(m().set('ns', 'k', 2, { by: 'b', ifVersion: 0 }), (e) => isAgentnetError(e, 'MEMORY_CONFLICT') && /version 1/.test(e.message));
      assert.equal((await m().set('ns', 'k', 2, { by: 'b', ifVersion: 1 })).version, 2);
      await assert.rejects(m().delete('ns', 'k', { by: 'c', ifVersion: 1 }), (e) => isAgentnetError(e, 'MEMORY_CONFLICT'));
      assert.equal(await m().delete('ns', 'k', { by: 'c', ifVersion: 2 }), true);
      assert.equal(await m().get('ns', 'k'), undefined);
      assert.equal(await m().delete('ns', 'k', { by: 'c' }), false);
    });

    it('forgets a value after its TTL', async () => {
      await m().set('ns', 'short', 'x', { by: 'a', ttlMs: 1000 });
      assert.equal((await m().get('ns', 'short'))?.value, 'x');
      h.advance(1001);
      assert.equal(await m().get('ns', 'short'), undefined);
      assert.deepEqual(await m().list('ns'), []);
    });

    it('lists by prefix (LIKE wildcards are literal) and keeps a short history', async () => {
      for (const k of ['health/kami', 'health/claude', 'health_x', 'deploy/api', 'Health/Up']) await m().set('net', k, k, { by: 'kaylee' });
      assert.deepEqual((await m().list('net', { prefix: 'health/' })).map((e) => e.key), ['health/claude', 'health/kami']);
      assert.deepEqual((await m().list('net', { prefix: 'Health' })).map((e) => e.key), ['Health/Up'], 'a prefix is case-sensitive');
      assert.deepEqual((await m().list('net', { prefix: 'health_' })).map((e) => e.key), ['health_x']);
      for (let i = 0; i < 12; i++) await m().set('net', 'counter', i, { by: i % 2 ? 'kami' : 'kaylee' });
      await m().delete('net', 'counter', { by: 'claude' });
      const hist = await m().history('net', 'counter');
      assert.equal(hist.length, 10);
      assert.deepEqual([hist[0]!.deleted, hist[0]!.writtenBy], [true, 'claude']);
      assert.deepEqual(hist.slice(1, 3).map((x) => x.value), [11, 10]);
    });

    it('compare-and-set from several processes loses no increment', async () => {
      const runs = await Promise.all(
        Array.from({ length: 4 }, (_, i) => runNode([WORKER, JSON.stringify(h.spec), 'increment', JSON.stringify({ by: `p${i}`, times: 50 })])),
      );
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      assert.equal((await m().get('counters', 'n'))?.value, 200);
    });
  });
}
