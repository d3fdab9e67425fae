/**
 * The dashboard's approvals on its real HTTP server and a real SQLite store: the page lists the
 * pending ones (their arguments shown as text, never markup) and the past ones; Approve and Deny
 * are controls like pause, refused without the token, without HX-Request or from another site,
 * and a decision is taken once, recorded as the dashboard.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { openBridge, type Bridge } from '../../src/bridge/index.ts';
import { bridgeSpec, loadConfig, storeSpec, type Config } from '../../src/config/index.ts';
import { collectDashboard, PAST_APPROVALS, renderFragments, startDashboard, type Dashboard } from '../../src/dashboard/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { openStore, type Approval, type ApprovalRequest, type Store } from '../../src/store/index.ts';
import { tempDir, writeNetwork } from '../helpers/util.ts';

const TOKEN = 'a-test-token-of-some-length';
const HOSTILE = ['<script>alert(1)</script>', 'a"b', "<img src=x onerror=alert('x')>"];

interface Reply {
  status: number;
  outcome: string | undefined;
  body: string;
}

describe('approvals on the dashboard', () => {
  let cleanup: () => void;
  let config: Config;
  let store: Store;
  let bridge: Bridge;
  let dash: Dashboard;
  let port = 0;
  let n = 0;

  /** One request to the dashboard, with exactly the headers given (node:http adds only Host). */
  const call = (path: string, headers: Record<string, string> = {}, method = 'POST') =>
    new Promise<Reply>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, outcome: res.headers['x-approval-outcome'] as string | undefined, body }));
      }).on('error', reject).end();
    });
  const control = { authorization: `Bearer ${TOKEN}`, 'hx-request': 'true' };
  const page = async () => (await call('/', { authorization: `Bearer ${TOKEN}` }, 'GET')).body;
  /** The page's section with this id. */
  const section = (html: string, id: string) => [...html.matchAll(/<section id="([^"]+)"[^>]*>([\s\S]*?)<\/section>/g)].find((m) => m[1] === id)?.[2] ?? '';
  const ask = async (o: Partial<ApprovalRequest> = {}): Promise<Approval> =>
    (await store.approvals.request({ agent: 'kaylee', action: { kind: 'deploy', name: 'production' }, reason: 'nightly deploy', ttlMs: 600_000, actionKey: `key-${++n}`, ...o })).approval;
  const decided = async () => (await store.approvals.list({ all: true, limit: 1000 })).filter((a) => a.decidedAt !== undefined);

  before(async () => {
    let dir: string;
    ({ dir, cleanup } = tempDir('agentnet-dash-approvals-'));
    config = loadConfig((await writeNetwork(dir)).file, { env: {} }).config;
    store = await openStore(storeSpec(config));
    bridge = await openBridge(bridgeSpec(config));
    dash = await startDashboard({ config, bridge, store, port: 0, token: TOKEN, logger: createMemoryLogger() });
    port = Number(new URL(dash.url).port);
  });
  after(async () => {
    await dash.close();
    await bridge.close();
    await store.close();
    cleanup();
  });

  it("lists a pending approval with the action's exact arguments as text, never as markup", async () => {
    const a = await ask({ agent: 'claude', action: { kind: 'run_command', name: 'echo', args: HOSTILE }, reason: '<b>the owner</b> asked', actionKey: 'hostile' });
    const html = await page();
    const pending = section(html, 'approvals');
    assert.match(pending, new RegExp(`data-approval="${a.id}"`));
    assert.ok(pending.includes(`<code class="action" data-testid="action">run_command echo &lt;script&gt;alert(1)&lt;/script&gt; a&quot;b &lt;img src=x onerror=alert(&#39;x&#39;)&gt;</code>`), pending);
    assert.ok(pending.includes('why: &lt;b&gt;the owner&lt;/b&gt; asked'));
    assert.match(pending, new RegExp(`hx-post="api/approvals/${a.id}/approve"`));
    assert.match(pending, /expires in <span data-testid="expires">10 min<\/span> \(<time[^>]*>\d\d:\d\d UTC<\/time>\)/);
    // The page's only scripts are its own two, and nothing of the arguments is markup.
    assert.equal(html.match(/<script/g)?.length, 2);
    for (const raw of ['<img', 'a"b', '<b>the owner']) assert.ok(!html.includes(raw), raw);
    const deny = await call(`/api/approvals/${a.id}/deny`, control);
    assert.equal(deny.status, 200);
    assert.match(deny.body, /^<span class="outcome decided" data-outcome="decided">denied \d{4}: claude will not run run_command echo &lt;script&gt;alert\(1\)&lt;\/script&gt; a&quot;b /);
  });

  it('keeps the pending region, and so its buttons, unchanged from one second to the next (a re-render under the pointer loses the click)', async () => {
    const at = Date.now() - 120_000;
    const a = await ask({ at, actionKey: 'steady' });
    const region = async (now: number) => renderFragments(await collectDashboard(config, bridge, store, now)).approvals;
    const [first, second] = [await region(at + 5_000), await region(at + 6_000)];
    assert.match(first, new RegExp(`data-approval="${a.id}"`));
    assert.equal(second, first);
  });

  it('refuses a decision without the token, without HX-Request, or from another origin, and decides nothing', async () => {
    const a = await ask();
    const path = `/api/approvals/${a.id}/approve`;
    const before = (await decided()).length;
    assert.equal((await call(path, { 'hx-request': 'true' })).status, 401);
    assert.equal((await call(path, { 'hx-request': 'true', authorization: 'Bearer wrong-token-of-some-length' })).status, 401);
    assert.equal((await call(path, { 'hx-request': 'true', cookie: 'agentnet_dashboard=wrong' })).status, 401);
    // A cross-site form carries the cookie but cannot add a header; a page elsewhere is named by Origin.
    assert.equal((await call(path, { cookie: `agentnet_dashboard=${TOKEN}` })).status, 403);
    for (const origin of ['http://attacker.example', `http://127.0.0.1:${port + 1}`, `http://localhost.attacker.example:${port}`, 'null', `file://127.0.0.1:${port}`]) {
      const r = await call(path, { ...control, origin });
      assert.equal(r.status, 403, origin);
      assert.match(r.body, /only from this dashboard's own page/);
    }
    assert.equal((await call(path, { cookie: `agentnet_dashboard=${TOKEN}`, 'hx-request': 'true', origin: 'http://attacker.example' })).status, 403);
    assert.equal((await call(`/api/pause`, { ...control, origin: 'http://attacker.example' })).status, 403, 'the same rule for every control');
    assert.equal((await store.approvals.get(a.id))?.status, 'pending');
    assert.equal((await decided()).length, before, 'nothing decided');
    // What the page itself sends: its own origin and the cookie.
    const own = await call(path, { cookie: `agentnet_dashboard=${TOKEN}`, 'hx-request': 'true', origin: `http://127.0.0.1:${port}` });
    assert.equal(own.status, 200, own.body);
  });

  it('approve twice at once: decided once, recorded as the dashboard; the other says by whom', async () => {
    const a = await ask({ actionKey: 'twice' });
    const path = `/api/approvals/${a.id}/approve`;
    const replies = await Promise.all([call(path, control), call(path, control)]);
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 409]);
    const [won, lost] = replies[0]!.status === 200 ? replies : [replies[1]!, replies[0]!];
    assert.equal(won!.outcome, 'decided');
    assert.equal(won!.body, `<span class="outcome decided" data-outcome="decided">approved ${a.code}: kaylee may now run deploy production [${a.id}]</span>`);
    assert.equal(lost!.outcome, 'already-decided');
    assert.match(lost!.body, new RegExp(`approval ${a.code} \\(deploy production\\) was already approved by dashboard via dashboard at .*; a decision is taken once`));
    const deny = await call(`/api/approvals/${a.id}/deny`, control);
    assert.deepEqual([deny.status, deny.outcome], [409, 'already-decided']);
    const mine = (await store.approvals.list({ all: true, limit: 1000 })).filter((x) => x.id === a.id);
    assert.deepEqual(mine.map((x) => [x.status, x.decidedBy, x.channel]), [['approved', 'dashboard', 'dashboard']]);

    // It moves to the past approvals, with what came of its run.
    await store.approvals.markRun(a.id, { summary: 'deploy: deployment "production" <b>succeeded</b>' });
    const html = await page();
    assert.doesNotMatch(section(html, 'approvals'), new RegExp(a.id));
    const item = new RegExp(`<li class="approval approved" data-approval="${a.id}">([\\s\\S]*?)</li>`).exec(section(html, 'audit'))?.[1] ?? '';
    assert.match(item, /by <b data-testid="by">dashboard<\/b> via <span data-testid="channel">dashboard<\/span>/);
    assert.match(item, /ran <time[^>]*>\d+s ago<\/time>: deploy: deployment &quot;production&quot; &lt;b&gt;succeeded&lt;\/b&gt;/);
  });

  it('an approval whose time ran out is not decided, marked or not; an unknown id is said to be unknown', async () => {
    const lapsed = await ask({ ttlMs: 1000, at: Date.now() - 5000 });
    const late = await call(`/api/approvals/${lapsed.id}/approve`, control);
    assert.deepEqual([late.status, late.outcome], [409, 'expired']);
    assert.match(late.body, new RegExp(`approval ${lapsed.code} \\(deploy production\\) expired at ${lapsed.expiresAt}; nothing was approved, and it will not run`));
    const stored = await store.approvals.get(lapsed.id);
    assert.deepEqual([stored?.status, stored?.decidedBy], ['pending', undefined], 'not decided, and the expiry is left for the agents to mark (and tell)');
    // Shown as lapsed, without buttons.
    const shown = new RegExp(`<li class="approval pending" data-approval="${lapsed.id}">([\\s\\S]*?)</li>`).exec(section(await page(), 'approvals'))?.[1] ?? '';
    assert.match(shown, /lapsed, not answered/);
    assert.doesNotMatch(shown, /<button/);

    assert.ok((await store.approvals.expire()).some((x) => x.id === lapsed.id));
    const marked = await call(`/api/approvals/${lapsed.id}/deny`, control);
    assert.deepEqual([marked.status, marked.outcome], [409, 'expired']);
    assert.match(marked.body, /nothing was denied, and it will not run/);
    assert.equal((await store.approvals.get(lapsed.id))?.status, 'expired');

    const unknown = await call('/api/approvals/approval-none/approve', control);
    assert.deepEqual([unknown.status, unknown.outcome], [404, 'unknown']);
    assert.match(unknown.body, /no approval &quot;approval-none&quot;/);
    assert.equal((await call('/api/approvals/approval-none/maybe', control)).status, 404, 'no such control');
  });
});

describe('the past approvals', () => {
  it(`are the newest ${PAST_APPROVALS} decided or expired, newest first; the pending ones never crowd them out`, async () => {
    const { dir, cleanup } = tempDir('agentnet-dash-past-');
    const config = loadConfig((await writeNetwork(dir)).file, { env: {} }).config;
    const store = await openStore(storeSpec(config));
    const bridge = await openBridge(bridgeSpec(config));
    try {
      const base = Date.now() - 3600_000;
      const ids: string[] = [];
      for (let i = 0; i < PAST_APPROVALS + 5; i++) {
        const { approval } = await store.approvals.request({ agent: 'kaylee', action: { kind: 'deploy', name: `d${i}` }, reason: 'r', ttlMs: 7200_000, actionKey: `k${i}`, at: base });
        const r = await store.approvals.decide({ id: approval.id, decision: i % 2 ? 'deny' : 'approve', by: 'terminal', channel: 'terminal', at: base + i * 1000 });
        assert.equal(r.outcome, 'decided');
        ids.push(approval.id);
      }
      // More pending than the store's default page of 100.
      for (let i = 0; i < 120; i++) await store.approvals.request({ agent: 'kaylee', action: { kind: 'deploy', name: 'p' }, reason: 'r', ttlMs: 600_000, actionKey: `p${i}` });
      const state = await collectDashboard(config, bridge, store);
      assert.deepEqual(state.past.map((a) => a.id), ids.slice(-PAST_APPROVALS).reverse());
      assert.ok(state.pending.length > 0 && state.pending.every((a) => a.status === 'pending'));
    } finally {
      await bridge.close();
      await store.close();
      cleanup();
    }
  });
});
