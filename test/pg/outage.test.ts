/**
 * PostgreSQL restarted under an open bridge and store (a throwaway cluster, so other suites keep
 * their server): what waits, what fails at once, and what health is told meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPgBridge } from '../../src/bridge/pg.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { createPgPool } from '../../src/pg/pool.ts';
import { createPostgresStore } from '../../src/store/postgres.ts';
import pg from 'pg';
import { pgClusterSkipReason, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { waitFor } from '../helpers/util.ts';

const skip = pgClusterSkipReason();

describe('PostgreSQL outage', { skip }, () => {
  let cluster: PgCluster;
  before(async () => {
    cluster = await startPgCluster();
  });
  after(() => cluster?.destroy());

  it('an agent-side bridge and store wait out a restart: writes land once, health says why meanwhile', async () => {
    const bridge = await createPgBridge({ url: cluster.url, schema: 'outage', pollIntervalMs: 100, waitForServerMs: 60_000 });
    const store = await createPostgresStore({ url: cluster.url, schema: 'outage', waitForServerMs: 60_000 });
    const cli = await createPgBridge({ url: cluster.url, schema: 'outage' }); // the default: no wait
    try {
      const seen: string[] = [];
      const sub = bridge.subscribe({ consumer: 'watcher', from: 'start' }, (m) => void seen.push(`${m.id}:${m.status}`));
      await sub.ready;
      const first = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'before' });
      assert.equal(bridge.unavailable?.(), undefined);
      assert.equal(store.unavailable?.(), undefined);

      cluster.stop();
      // A command fails at once, saying the server is unreachable.
      const failing = performance.now();
      await assert.rejects(cli.append({ from: 'cli', type: 'notification', content: 'x' }), (err) => isAgentnetError(err, 'BRIDGE_WRITE_FAILED') && /unreachable/.test(err.message));
      await assert.rejects(cli.list(), (err) => isAgentnetError(err, 'BRIDGE_READ_FAILED') && /cannot read the bridge .*: it is unreachable/.test(err.message));
      // The control for the window below: that is how long a write that does not wait takes to fail.
      const failsWithinMs = performance.now() - failing;
      const writes = Promise.all([
        bridge.append({ from: 'claude', type: 'response', to: 'kami', replyTo: first.id, content: 'during' }),
        bridge.markDone(first),
        store.queue.enqueue({ kind: 'deploy', payload: { app: 'web' } }),
        store.memory.set('notes', 'k', { v: 1 }, { by: 'test' }),
      ]);
      let settled = false;
      void writes.finally(() => (settled = true));
      await waitFor(() => bridge.unavailable?.() !== undefined && store.unavailable?.() !== undefined, 'both report the outage');
      assert.match(bridge.unavailable!()!, /PostgreSQL unreachable since \d{4}-\d\d-\d\dT.*waiting for it/);
      await sleep(Math.max(1500, 3 * failsWithinMs));
      assert.equal(settled, false, 'the writes wait for the server instead of failing');

      cluster.start();
      const [response, done, task] = await writes;
      assert.equal(done.status, 'done');
      assert.equal(bridge.unavailable?.(), undefined);
      assert.equal(store.unavailable?.(), undefined);
      const all = await bridge.list();
      assert.deepEqual(all.map((m) => [m.id, m.status]), [[first.id, 'done'], [response.id, 'pending']], 'each write landed once');
      assert.equal((await store.queue.get(task.id))?.state, 'queued');
      assert.deepEqual((await store.memory.get('notes', 'k'))?.value, { v: 1 });
      // The subscription caught up on what was appended after the restart.
      await waitFor(() => seen.includes(`${response.id}:pending`) && seen.includes(`${first.id}:done`), 'delivery resumed');
      assert.equal(seen.filter((s) => s === `${response.id}:pending`).length, 1);
    } finally {
      await cli.close();
      await bridge.close();
      await store.close();
    }
  });

  it('closing ends a wait for a server that does not come back', async () => {
    const bridge = await createPgBridge({ url: cluster.url, schema: 'outage2', waitForServerMs: 600_000 });
    cluster.stop();
    try {
      const write = bridge.append({ from: 'a', type: 'notification', content: 'never' });
      await waitFor(() => bridge.unavailable?.() !== undefined, 'the outage noticed');
      const t0 = Date.now();
      await bridge.close();
      await assert.rejects(write, (err) => isAgentnetError(err, 'BRIDGE_WRITE_FAILED'));
      assert.ok(Date.now() - t0 < 5000, 'close is not held up by the wait');
    } finally {
      cluster.start();
    }
  });

  it('a read cut off mid-flight runs again; a write is reported, never run twice', async () => {
    const pool = createPgPool({ url: cluster.url, schema: 'cut', waitForServerMs: 30_000 });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query('CREATE SCHEMA IF NOT EXISTS cut; CREATE TABLE IF NOT EXISTS cut.t (v int)');
      /** Terminates the backend running `like` once it shows up in pg_stat_activity. */
      const cut = async (like: string) => {
        await waitFor(async () => (await admin.query(`SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`, [like])).rows.some((r) => r.t), `the query "${like}" to cut`);
      };
      const read = pool.query('SELECT 42 AS n FROM pg_sleep(1)');
      await cut('SELECT 42 AS n FROM pg_sleep%');
      assert.equal((await read).rows[0].n, 42, 'the read ran again after the cut');

      // Caught at once: it may fail before the cut helper returns.
      const write = pool.query('INSERT INTO t (v) SELECT 7 FROM pg_sleep(1)').then(() => undefined, (err: Error) => err);
      await cut('INSERT INTO t (v)%');
      assert.match((await write)?.message ?? 'it succeeded', /terminating connection/);
      assert.equal((await admin.query('SELECT count(*)::int AS n FROM cut.t')).rows[0].n, 0, 'not run again');
    } finally {
      await admin.end();
      pool.stopWaiting();
      await pool.end();
    }
  });
});
