/** The dashboard links each conversation to its timeline, and shows the timeline (escaped) or says there is none. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bridgeSpec, loadConfig, storeSpec } from '../../src/config/index.ts';
import { openBridge, traceOf } from '../../src/bridge/index.ts';
import { startDashboard } from '../../src/dashboard/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { openStore } from '../../src/store/index.ts';
import { freePort, tempDir, writeNetwork } from '../helpers/util.ts';

it("the activity view links a conversation to its timeline; the page shows each hop, escaped, and where it stopped", async () => {
  const { dir, cleanup } = tempDir('agentnet-dash-trace-');
  const { file } = await writeNetwork(dir);
  const { config } = loadConfig(file);
  const bridge = await openBridge(bridgeSpec(config));
  const store = await openStore(storeSpec(config));
  const dashboard = await startDashboard({ config, bridge, store, port: await freePort(), logger: createMemoryLogger() });
  try {
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'check the servers' });
    const trace = traceOf(req);
    const at = Date.parse(req.ts);
    await store.traces.record([
      { trace, hop: 'received', ref: '<script>alert(1)</script>', agent: 'kami', at: at - 20, detail: { channel: 'whatsapp' } },
      { trace, hop: 'escalated', ref: req.id, agent: 'kami', at, detail: { to: 'claude' } },
    ]);
    const page = await (await fetch(dashboard.url)).text();
    assert.match(page, new RegExp(`href="trace/${trace}" data-testid="trace"`), 'the conversation links to its timeline');
    const res = await fetch(new URL(`trace/${trace}`, dashboard.url));
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.deepEqual([...html.matchAll(/data-hop="([^"]+)"/g)].map((m) => m[1]), ['received', 'escalated']);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;') && !html.includes('<script>alert'), 'a hostile ref is text, not markup');
    assert.match(html, /stopped: request kami-\S+ waits for claude to take it/);
    const json = (await (await fetch(new URL(`api/trace/${trace}`, dashboard.url))).json()) as { trace: string; complete: boolean; hops: unknown[] };
    assert.deepEqual([json.trace, json.complete, json.hops.length], [trace, false, 2]);
    for (const bad of ['0123456789abcdef0123456789abcdef', 'not-a-trace', '%3Cscript%3E']) {
      const r = await fetch(new URL(`trace/${bad}`, dashboard.url));
      assert.equal(r.status, 404, bad);
      assert.match(await r.text(), /no hops recorded for this trace/);
    }
  } finally {
    await dashboard.close();
    await store.close();
    await bridge.close();
    cleanup();
  }
});
