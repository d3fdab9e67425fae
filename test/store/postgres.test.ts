import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { isAgentnetError } from '../../src/errors.ts';
import { openStore } from '../../src/store/index.ts';
import { createPostgresStore } from '../../src/store/postgres.ts';
import { STORE_COMPONENT, STORE_MIGRATIONS } from '../../src/store/pg-store-migrations.ts';
import { describeApprovals } from '../conformance/approvals.case.ts';
import { describeLedger } from '../conformance/ledger.case.ts';
import { describeMemory } from '../conformance/memory.case.ts';
import { describeScheduleRuns } from '../conformance/schedule-runs.case.ts';
import { describeTaskQueue, type StoreCase } from '../conformance/queue.case.ts';
import { describeTraces } from '../conformance/traces.case.ts';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/pg.ts';

const postgres: StoreCase = {
  name: 'postgres',
  async create() {
    const schema = freshSchema('store');
    let offset = 0;
    return {
      store: await createPostgresStore({ url: PG_URL, schema, now: () => Date.now() + offset, backoffMs: 1000 }),
      spec: { backend: 'postgres', url: PG_URL, schema },
      advance: (ms) => void (offset += ms),
      cleanup: () => dropSchema(schema),
    };
  },
};

const skip = await pgSkipReason();
if (skip) {
  describe('postgres store', () => it('runs the store conformance suites against PostgreSQL', { skip }, () => {}));
} else {
  describeTaskQueue(postgres);
  describeMemory(postgres);
  describeLedger(postgres);
  describeApprovals(postgres);
  describeScheduleRuns(postgres);
  describeTraces(postgres);

  describe('postgres store: opening', () => {
    it('two stores opening a fresh schema at once both succeed, each migration applied once', async () => {
      const schema = freshSchema('store');
      try {
        const [a, b] = await Promise.all([createPostgresStore({ url: PG_URL, schema }), openStore({ backend: 'postgres', url: PG_URL, schema })]);
        const task = await a.queue.enqueue({ kind: 'job' });
        assert.equal((await b.queue.claim({ worker: 'w', leaseMs: 1000 }))?.id, task.id, 'both see the same tables');
        await Promise.all([a.close(), b.close()]);
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          const { rows } = await client.query<{ version: number; n: number }>(
            `SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations WHERE component = $1 GROUP BY version ORDER BY version`,
            [STORE_COMPONENT],
          );
          assert.deepEqual(rows, STORE_MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
        } finally {
          await client.end();
        }
      } finally {
        await dropSchema(schema);
      }
    });

    it('an unreachable server is STORE_OPEN_FAILED, the password hidden', async () => {
      await assert.rejects(
        createPostgresStore({ url: 'postgres://agentnet:s3cret@127.0.0.1:1/none' }),
        (e) => isAgentnetError(e, 'STORE_OPEN_FAILED') && e.message.includes('127.0.0.1:1') && !e.message.includes('s3cret'),
      );
    });

    it('the postgres spec needs a url', async () => {
      await assert.rejects(openStore({ backend: 'postgres' }), (e) => isAgentnetError(e, 'USAGE'));
    });
  });
}
