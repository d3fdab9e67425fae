/** The dashboard's Schedules: each schedule's last run, next run and missed runs, from a real store, as `agentnet schedules` says them. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { createJsonlBridge } from '../../src/bridge/index.ts';
import { initNetwork, loadConfig } from '../../src/config/index.ts';
import { collectDashboard, renderFragments } from '../../src/dashboard/index.ts';
import { createSqliteStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/util.ts';

it('shows each schedule with its last run, next run and missed runs', async () => {
  const { dir, cleanup } = tempDir('agentnet-dash-schedules-');
  initNetwork(dir);
  const { config } = loadConfig(join(dir, 'agentnet.yaml'), { env: {} });
  const store = createSqliteStore({ path: config.store.path });
  const bridge = createJsonlBridge({ path: config.bridge.path });
  try {
    const key = { agent: 'kaylee', schedule: 'monitor' };
    await store.scheduleRuns.record({ ...key, due: '2026-11-24T12:00:00.000Z', missed: 'late', slots: 3, through: '2026-11-24T12:10:00.000Z' });
    await store.scheduleRuns.record({ ...key, due: '2026-11-24T12:15:00.000Z', missed: 'late', task: 'task-b' });
    await store.scheduleRuns.finished({ ...key, due: '2026-11-24T12:15:00.000Z' }, 'failure', Date.parse('2026-11-24T12:15:09Z'));
    const state = await collectDashboard(config, bridge, store, Date.parse('2026-11-24T12:16:00Z'));
    assert.deepEqual(state.schedules.map((s) => [s.schedule, s.lastRun?.outcome, s.next, s.missed.slots]), [
      ['monitor', 'failure', '2026-11-24T12:20:00.000Z', 4],
      ['rotate-bridge', undefined, '2026-11-29T04:00:00.000Z', 0],
    ]);
    const html = renderFragments(state).tasks;
    const monitor = /<li class="task schedule" data-schedule="kaylee\/monitor">[\s\S]*?<\/li>/.exec(html)![0];
    assert.match(monitor, /<span class="pill failure">failure<\/span> <b>kaylee\/monitor<\/b> <code>\*\/5 \* \* \* \*<\/code> monitor/);
    assert.match(monitor, /last: 2026-11-24 12:15 UTC failure \(started 12:15:09, finished 12:15:09\), missed \(machine asleep or clock jumped\) and caught up/);
    assert.match(monitor, /next: 2026-11-24 12:20 UTC/);
    assert.match(monitor, /data-testid="missed">missed: 4, the latest 2026-11-24 12:15 UTC \(machine asleep or clock jumped\), caught up: failure/);
    assert.match(html, /data-schedule="kaylee\/rotate-bridge">[\s\S]*?last: none yet[\s\S]*?missed: none/);
  } finally {
    await store.close();
    await bridge.close();
    cleanup();
  }
});
