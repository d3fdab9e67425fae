/** `agentnet approvals`: the real CLI against a real store file, the approvals asked through the store as an agent would. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, storeSpec } from '../../src/config/index.ts';
import { openStore, type Approval, type Store } from '../../src/store/index.ts';
import { agentnet, tempDir, writeNetwork } from '../helpers/util.ts';

describe('agentnet approvals', () => {
  let dir: string;
  let file: string;
  let cleanup: () => void;
  let store: Store;
  let deploy: Approval;
  let restart: Approval;
  // From another directory, through -c: the command reads the config it is given.
  const run = (args: string[]) => agentnet(['approvals', ...args, '-c', file], { cwd: '/' });

  before(async () => {
    ({ dir, cleanup } = tempDir('agentnet-approvals-cli-'));
    ({ file } = await writeNetwork(dir));
    store = await openStore(storeSpec(loadConfig(file, { env: {} }).config));
    deploy = (await store.approvals.request({
      agent: 'kaylee', action: { kind: 'deploy', name: 'production' }, reason: 'nightly-deploy (task task-1)', ttlMs: 600_000, actionKey: 'task-1:deploy:production',
    })).approval;
    restart = (await store.approvals.request({
      agent: 'claude', action: { kind: 'run_command', name: 'systemctl', args: ['restart', 'nginx'] }, reason: 'the owner asked: "nginx is stuck"', ttlMs: 600_000, actionKey: 'req-7:run_command',
    })).approval;
  });
  after(async () => {
    await store.close();
    cleanup();
  });

  it('lists the pending approvals: code, agent, the action with its arguments, expiry and why', async () => {
    const r = await agentnet(['approvals'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, new RegExp(`^${deploy.code} {2}pending {2}kaylee: deploy production {2}\\(expires in 10m\\) {2}why: nightly-deploy \\(task task-1\\) {2}\\[${deploy.id}\\]$`));
    assert.match(rows[1]!, new RegExp(`^${restart.code} .*claude: run_command systemctl restart nginx .*why: the owner asked: "nginx is stuck"`));
    const json = (await run(['ls', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Approval);
    assert.deepEqual(json.map((a) => [a.id, a.status]), [[deploy.id, 'pending'], [restart.id, 'pending']]);
  });

  it('approves by code and denies by id, once, recorded as the terminal', async () => {
    const yes = await run(['approve', deploy.code]);
    assert.equal(yes.code, 0, yes.stderr);
    assert.equal(yes.stdout, `approved ${deploy.code}: kaylee may now run deploy production [${deploy.id}]\n`);
    const again = await run(['deny', deploy.code]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`approval ${deploy.code} \\(deploy production\\) was already approved by terminal via terminal at .*; a decision is taken once`));
    const no = await run(['deny', restart.id]);
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.stdout, /^denied \d{4}: claude will not run run_command systemctl restart nginx/);
    const stored = await store.approvals.get(deploy.id);
    assert.deepEqual([stored?.status, stored?.decidedBy, stored?.channel], ['approved', 'terminal', 'terminal']);
    assert.equal((await run([])).stdout, 'Nothing waits for your yes. (Every approval: agentnet approvals ls --all)\n');
  });

  it('says so when a code is unknown or expired, and changes nothing', async () => {
    const lapsed = (await store.approvals.request({
      agent: 'kaylee', action: { kind: 'task', name: 'code-review' }, reason: 'weekly review', ttlMs: 1000, actionKey: 'task-2:code-review', at: Date.now() - 5000,
    })).approval;
    const late = await run(['approve', lapsed.code]);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /expired at .*; nothing was approved, and it will not run/);
    assert.equal((await store.approvals.get(lapsed.id))?.status, 'pending', 'the expiry itself is reported by the agents, not marked here');
    assert.match((await run(['ls'])).stdout, /lapsed, not answered/);
    const taken = new Set([deploy.code, restart.code, lapsed.code]);
    const unknown = ['1111', '2222', '3333', '4444'].find((c) => !taken.has(c))!;
    const none = await run(['approve', unknown]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, new RegExp(`no approval "${unknown}"`));
  });

  it('ls --all is the audit: who asked, what, why, who decided, when, from which channel', async () => {
    const r = await run(['ls', '--all']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /approved kaylee: deploy production {2}\(approved by terminal via terminal at 20\d\d-.*Z\) {2}why: nightly-deploy/);
    assert.match(rows[1]!, /denied {3}claude: run_command systemctl restart nginx {2}\(denied by terminal via terminal at /);
  });

  it('refuses wrong usage with exit 2', async () => {
    for (const args of [['frobnicate'], ['approve'], ['approve', '1234', '5678'], ['ls', 'x'], ['approve', '1234', '--json']]) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});
