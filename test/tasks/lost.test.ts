/** A task whose worker died on its last attempt still ends with a failure report, sent once. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/log/logger.ts';
import { createSqliteStore, LOST_ON_LAST_ATTEMPT } from '../../src/store/index.ts';
import { recipientsOf, reportLostTasks, reportText, TASK_KIND_HANDLERS, type TaskFinish } from '../../src/tasks/index.ts';
import { tempDir } from '../helpers/util.ts';

describe('tasks lost with their worker', () => {
  it('are reported to the owner once, by whichever agent looks first', async () => {
    const { dir, cleanup } = tempDir('agentnet-lost-');
    let offset = 0;
    const store = createSqliteStore({ path: join(dir, 'store.db'), now: () => Date.now() + offset });
    try {
      const t = await store.queue.enqueue({ kind: 'deploy', payload: { deployment: 'web' }, maxAttempts: 1 });
      const ok = await store.queue.enqueue({ kind: 'deploy', payload: { deployment: 'api' }, maxAttempts: 1 });
      await store.queue.claim({ worker: 'vanished', leaseMs: 1000 });
      const other = (await store.queue.claim({ worker: 'w', leaseMs: 60_000 }))!;
      await store.queue.fail(other.id, 'w', 'exit code 3', { retry: false }); // reported by its own worker
      offset += 2000;
      assert.equal(await store.queue.claim({ worker: 'next', leaseMs: 1000 }), undefined, 'the lost task is not run again');
      const dead = (await store.queue.get(t.id))!;
      assert.equal(dead.state, 'dead');
      assert.ok(dead.lastError?.startsWith(LOST_ON_LAST_ATTEMPT), dead.lastError);
      const reports: TaskFinish[] = [];
      const look = (agent: string) => reportLostTasks({ agent, queue: store.queue, memory: store.memory, logger: silentLogger, report: async (f) => void reports.push(f) });
      assert.equal(await look('kaylee'), 1);
      assert.equal(await look('kaylee'), 0, 'not twice');
      assert.equal(await look('kaylee2'), 0, 'not by a second autonomous agent either');
      assert.deepEqual(reports.map((r) => r.task.id), [t.id]);
      assert.notEqual(ok.id, t.id);
      assert.deepEqual(recipientsOf(TASK_KIND_HANDLERS.get('deploy'), reports[0]!), ['owner']);
      assert.match(reportText(reports[0]!), /^❌ deploy failed after 1 of 1 attempt\(s\): worker lost on the last attempt .*agentnet tasks retry/);
    } finally {
      await store.close();
      cleanup();
    }
  });
});
