/** `agentnet schedules`: each schedule's last run, next run and missed runs, read from a real store by the real CLI. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSqliteStore } from '../../src/store/index.ts';
import { agentnet, tempDir } from '../helpers/util.ts';

describe('agentnet schedules', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (args: string[]) => agentnet(args, { cwd: dir });
  before(async () => {
    ({ dir, cleanup } = tempDir('agentnet-schedules-cli-'));
    assert.equal((await run(['init'])).code, 0);
    // The seed's kaylee: monitor every 5 minutes, rotate-bridge on Sundays at 04:00.
    const store = createSqliteStore({ path: join(dir, '.agentnet', 'store.db') });
    try {
      const r = store.scheduleRuns;
      const key = { agent: 'kaylee', schedule: 'monitor' };
      await r.record({ ...key, due: '2026-11-24T12:05:00.000Z', task: 'task-a' });
      await r.started({ ...key, due: '2026-11-24T12:05:00.000Z' }, 'task-a', Date.parse('2026-11-24T12:05:01Z'));
      await r.finished({ ...key, due: '2026-11-24T12:05:00.000Z' }, 'success', Date.parse('2026-11-24T12:05:03Z'));
      await r.record({ ...key, due: '2026-11-24T12:10:00.000Z', missed: 'down' });
      await r.record({ ...key, due: '2026-11-24T12:15:00.000Z', missed: 'down' });
    } finally {
      await store.close();
    }
  });
  after(() => cleanup());

  it('lists each schedule with its last run, next run and missed runs, as text and as JSON', async () => {
    const text = await run(['schedules']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^kaylee\/monitor {2}"\*\/5 \* \* \* \*" {2}monitor\n {2}last run {2}2026-11-24 12:05 UTC success \(started 12:05:01, finished 12:05:03\)\n {2}next run {2}\d{4}-\d\d-\d\d \d\d:\d[05] UTC\n {2}missed {4}2, the latest 2026-11-24 12:15 UTC \(agent down\)\n/);
    assert.match(text.stdout, /kaylee\/rotate-bridge {2}"0 4 \* \* 0" {2}rotate-bridge\n {2}last run {2}none yet\n {2}next run {2}\d{4}-\d\d-\d\d 04:00 UTC\n {2}missed {4}none\n$/);
    const json = (await run(['schedules', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(json.map((o) => `${o.agent}/${o.schedule}`), ['kaylee/monitor', 'kaylee/rotate-bridge']);
    const [monitor, rotate] = json;
    assert.deepEqual([monitor.lastRun.due, monitor.lastRun.outcome, monitor.lastRun.task, monitor.missed.slots, monitor.missed.last.due, monitor.catchUp], ['2026-11-24T12:05:00.000Z', 'success', 'task-a', 2, '2026-11-24T12:15:00.000Z', false]);
    assert.ok(Date.parse(monitor.next) > Date.now() && Date.parse(monitor.next) - Date.now() <= 300_000, monitor.next);
    assert.deepEqual([rotate.lastRun, rotate.missed], [undefined, { slots: 0 }]);
  });

  it('shows one agent; refuses an agent not in the config and a second argument', async () => {
    assert.equal((await run(['schedules', 'kaylee', '--json'])).stdout.trim().split('\n').length, 2);
    assert.match((await run(['schedules', 'kami'])).stdout, /^No schedules for kami in the config/);
    const unknown = await run(['schedules', 'kaylie']);
    assert.deepEqual([unknown.code, /no agent "kaylie" in the config; agents: claude, kami, kaylee/.test(unknown.stderr)], [1, true], unknown.stderr);
    assert.equal((await run(['schedules', 'kaylee', 'kami'])).code, 2);
  });
});
