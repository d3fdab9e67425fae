import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { createSqliteStore } from '../../src/store/index.ts';
import { MIGRATIONS } from '../../src/store/sqlite-migrations.ts';
import { FINDABLE_SQL } from '../../src/store/traces.ts';
import { describeApprovals } from '../conformance/approvals.case.ts';
import { describeLedger } from '../conformance/ledger.case.ts';
import { describeMemory } from '../conformance/memory.case.ts';
import { describeScheduleRuns } from '../conformance/schedule-runs.case.ts';
import { describeTaskQueue, type StoreCase } from '../conformance/queue.case.ts';
import { describeTraces } from '../conformance/traces.case.ts';
import { tempDir } from '../helpers/util.ts';

const sqlite: StoreCase = {
  name: 'sqlite',
  async create() {
    const { dir, cleanup } = tempDir('agentnet-store-');
    const path = join(dir, 'store.db');
    let offset = 0;
    return {
      store: createSqliteStore({ path, now: () => Date.now() + offset, backoffMs: 1000 }),
      spec: { backend: 'sqlite', path },
      advance: (ms) => void (offset += ms),
      cleanup: async () => cleanup(),
    };
  },
};

describeTaskQueue(sqlite);
describeMemory(sqlite);
describeLedger(sqlite);
describeApprovals(sqlite);
describeScheduleRuns(sqlite);
describeTraces(sqlite);

describe('sqlite store: upgrading', () => {
  it('a store from before approvals (schema version 3) keeps its tasks and gains approvals when opened', async () => {
    const { dir, cleanup } = tempDir('agentnet-store-upgrade-');
    try {
      const path = join(dir, 'store.db');
      const db = new DatabaseSync(path);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
      for (const m of MIGRATIONS.filter((m) => m.version <= 3)) db.exec(`${m.sql}; INSERT INTO schema_migrations VALUES (${m.version}, 0);`);
      db.prepare(`INSERT INTO tasks (id, kind, payload, state, max_attempts, run_at, created_at, updated_at) VALUES ('task-old', 'monitor', 'null', 'queued', 3, 0, 0, 0)`).run();
      db.close();
      const store = createSqliteStore({ path });
      try {
        assert.equal((await store.queue.get('task-old'))?.kind, 'monitor');
        const { approval } = await store.approvals.request({ agent: 'kaylee', action: { kind: 'deploy', name: 'production' }, reason: 'r', ttlMs: 1000, actionKey: 'k' });
        assert.equal((await store.approvals.get(approval.id))?.status, 'pending');
      } finally {
        await store.close();
      }
    } finally {
      cleanup();
    }
  });
  it('a store from before traces (schema version 6) keeps its pending replies, their buttons too, and gains trace hops when opened', async () => {
    const { dir, cleanup } = tempDir('agentnet-store-upgrade-');
    const buttons = [{ text: 'Approve', data: 'approve:approval-1' }];
    try {
      const path = join(dir, 'store.db');
      const db = new DatabaseSync(path);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
      for (const m of MIGRATIONS.filter((m) => m.version <= 6)) db.exec(`${m.sql}; INSERT INTO schema_migrations VALUES (${m.version}, 0);`);
      db.prepare(`INSERT INTO ledger_outbound (key, agent, chat_id, text, buttons, state, attempts, not_before, created_at) VALUES ('ack:old', 'kami', 'c', 'Got it', ?, 'pending', 0, 0, 0)`).run(JSON.stringify(buttons));
      db.close();
      const store = createSqliteStore({ path });
      try {
        const [old] = await store.ledger.due('kami', Infinity);
        assert.deepEqual([old?.key, old?.buttons, old?.trace], ['ack:old', buttons, undefined]);
        await store.traces.record([{ trace: '4bf92f3577b34da6a3ce929d0e0e4736', hop: 'sent', ref: 'p1', agent: 'kami', at: 1 }]);
        assert.equal(await store.traces.traceOf('p1'), '4bf92f3577b34da6a3ce929d0e0e4736');
      } finally {
        await store.close();
      }
    } finally {
      cleanup();
    }
  });
  it('a trace is found by ref through the partial index, whose condition is FINDABLE_HOPS', async () => {
    const { dir, cleanup } = tempDir('agentnet-store-plan-');
    try {
      const path = join(dir, 'store.db');
      await createSqliteStore({ path }).close();
      const db = new DatabaseSync(path);
      const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT trace FROM trace_hops WHERE ref = ? AND ${FINDABLE_SQL} ORDER BY seq LIMIT 1`).all('x') as Array<{ detail: string }>;
      assert.ok(plan.some((p) => /USING INDEX trace_hops_ref/.test(p.detail)), JSON.stringify(plan));
      const index = db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'trace_hops_ref'`).get() as { sql: string };
      assert.ok(index.sql.endsWith(`WHERE ${FINDABLE_SQL}`), index.sql);
      db.close();
    } finally {
      cleanup();
    }
  });
});
