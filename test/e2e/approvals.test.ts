/**
 * Approvals as real processes: kaylee's production deployment waits for the owner's yes on
 * WhatsApp (a fake Green API), asked and answered through kami, on a real SQLite store. Approve,
 * deny, a stranger's and a reused code, silence, and the relay killed while waiting.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSqliteStore, type Store } from '../../src/store/index.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import { writeApprovalsNetwork } from '../helpers/approvals-network.ts';
import { agentnet, BIN, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;
const STRANGER = '15550001111';

describe('approvals (real processes)', () => {
  let dir: string;
  let cleanup: () => void;
  let procs: ChildProcess[];
  let ports: Record<string, number>;
  let green: FakeGreenApi;
  let store: Store;

  /** kami (relay on WhatsApp) and kaylee (autonomous), whose `production` deployment needs a yes within `ttl`. */
  const network = async (ttl: string) => {
    ports = await writeApprovalsNetwork(dir, `{ type: whatsapp, apiUrl: "${green.url}", idInstance: "${green.idInstance}", apiToken: "${green.apiToken}", receiveTimeoutS: 5, owners: ["${OWNER}"], language: en, pace: { perChatMs: 0, perInstanceMs: 0 } }`, ttl);
    store = createSqliteStore({ path: join(dir, '.agentnet', 'store.db') });
  };
  const run = (agent: string) => {
    const p = spawnNode([BIN, 'run', agent], { cwd: dir });
    p.stdout!.resume();
    p.stderr!.resume();
    procs.push(p);
    return p;
  };
  const healthy = (agent: string) => waitHealthy(ports[agent]!, agent);
  /** A production deployment due now, enqueued as any task is. */
  const deploy = async () => {
    const r = await agentnet(['tasks', 'add', 'deploy', '--payload', JSON.stringify({ deployment: 'production' })], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  /** The deployments that ran, by task id: the script appends one line per run. */
  const runs = () => (existsSync(join(dir, 'runs.txt')) ? readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n') : []);
  const toOwner = () => green.sentTo(OWNER_CHAT);
  /** The ask for `task` on the owner's phone, and its code. */
  const askFor = async (task: string) => {
    const ask = await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.startsWith('🔐 kaylee asks for your yes: deploy production') && m.message.includes(task), 20_000);
    assert.match(ask.message, /\nExpires at \d\d:\d\d UTC \(in \d+ min\)\.\n/);
    return /Reply "yes (\d{4})" to approve or "no \1" to deny\.$/.exec(ask.message)![1]!;
  };
  const said = (re: RegExp, timeoutMs = 20_000) => green.waitForSent((m) => m.chatId === OWNER_CHAT && re.test(m.message), timeoutMs);
  const taskState = async (id: string) => (await store.queue.get(id))?.state;

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-approvals-'));
    procs = [];
    green = await startFakeGreenApi();
  });
  afterEach(async () => {
    for (const p of procs) await stopProcess(p, 'SIGKILL');
    await green.close();
    await store?.close();
    cleanup();
  });

  it('yes: a stranger\'s "yes <code>" decides nothing; the owner\'s runs the deployment once and the outcome reaches the phone; the code reused does nothing; "no" never runs', async () => {
    await network('10m');
    run('kami');
    run('kaylee');
    await Promise.all([healthy('kami'), healthy('kaylee')]);
    const first = await deploy();
    const code = await askFor(first);
    assert.equal(await taskState(first), 'queued', 'waiting for the yes: queued, not running, not dead');

    green.incoming({ from: STRANGER, text: `yes ${code}` });
    await waitFor(async () => (await store.ledger.stats('kami', Date.now())).inbound.refused === 1, "the stranger's answer recorded as refused");
    await sleep(2500); // past kaylee's re-check
    assert.equal((await store.approvals.list({ status: 'pending' })).length, 1, 'still pending');
    assert.deepEqual(runs(), [], 'a stranger cannot approve');
    assert.deepEqual(green.sentTo(`${STRANGER}@c.us`), []);

    green.incoming({ from: OWNER, text: `yes ${code}` });
    await said(new RegExp(`^✅ Approved \\(${code}\\): kaylee runs deploy production`));
    const report = await said(/^🔔 kaylee: ✅ deploy: deployment "production" succeeded/);
    assert.match(report.message, new RegExp(`deployed production`));
    assert.equal(await taskState(first), 'done');
    assert.deepEqual(runs(), [first]);
    const approved = (await store.approvals.list({ all: true }))[0]!;
    assert.deepEqual([approved.status, approved.decidedBy, approved.channel, Boolean(approved.ranAt)], ['approved', OWNER, 'whatsapp', true]);

    green.incoming({ from: OWNER, text: `yes ${code}` });
    await said(new RegExp(`^Approval ${code} was already approved by ${OWNER}; nothing changed\\.$`));
    const unknown = code === '0000' ? '0001' : '0000';
    green.incoming({ from: OWNER, text: `yes ${unknown}` });
    await said(new RegExp(`^No approval has the code ${unknown}`));

    const second = await deploy();
    const code2 = await askFor(second);
    assert.notEqual(code2, code, 'a fresh code, not the one just used');
    green.incoming({ from: OWNER, text: `no ${code2}` });
    await said(new RegExp(`^🚫 Denied \\(${code2}\\): kaylee will not run deploy production\\.$`));
    const denied = await said(new RegExp(`^🔔 kaylee: ⛔ deploy: deploy production not run: denied by ${OWNER} \\(whatsapp\\) \\(task ${second}\\)$`));
    assert.ok(denied);
    await waitFor(async () => (await taskState(second)) === 'done', 'the denied task ended, not dead');
    await sleep(2500);
    assert.deepEqual(runs(), [first], 'the first ran once; the denied one never');
    assert.equal(toOwner().filter((m) => m.startsWith('🔐')).length, 2, 'asked once per deployment');
    assert.equal((await store.queue.stats()).dead, 0, 'nothing dead-lettered');
  });

  it('silence: the request expires, the owners are told once (also across a relay restart), the deployment never runs; a late yes does nothing', async () => {
    await network('3s');
    run('kami');
    run('kaylee');
    await Promise.all([healthy('kami'), healthy('kaylee')]);
    const t = await deploy();
    const code = await askFor(t);
    await said(new RegExp(`^⌛ Approval ${code} expired without an answer: kaylee did not run deploy production\\.$`));
    await said(new RegExp(`^🔔 kaylee: ⛔ deploy: deploy production not run: approval ${code} expired at `));
    green.incoming({ from: OWNER, text: `yes ${code}` });
    await said(new RegExp(`^⌛ Approval ${code} has expired; nothing was decided`));
    await sleep(3000); // several of the relay's turns and kaylee's re-checks
    assert.equal(toOwner().filter((m) => m.startsWith(`⌛ Approval ${code} expired`)).length, 1, 'told once');
    assert.deepEqual(runs(), []);
    assert.equal(await taskState(t), 'done');
    assert.equal((await store.approvals.list({ all: true }))[0]!.status, 'expired');

    // Marked expired while the relay was down (as if killed between marking and telling): told once after its restart.
    await stopProcess(procs.find((p) => p.spawnargs.includes('kami'))!, 'SIGKILL');
    const t2 = await deploy();
    await waitFor(async () => (await store.approvals.list({ status: 'pending' })).some((a) => a.actionKey.startsWith(t2)), 'the second request');
    const [marked] = await store.approvals.expire(Date.now() + 60_000);
    assert.ok(marked);
    run('kami');
    await said(new RegExp(`^⌛ Approval ${marked.code} expired without an answer`));
    await sleep(2500);
    assert.equal(toOwner().filter((m) => m.startsWith('⌛ Approval') && m.includes('expired without an answer')).length, 2, 'each expiry told once, the earlier one not again');
    assert.equal(toOwner().filter((m) => m.startsWith('🔐')).length, 1, 'the expired request was never asked');
    assert.deepEqual(runs(), []);
  });

  it('PAUSE from the phone holds an approved deployment; it runs once after "resume"', async () => {
    await network('10m');
    run('kami');
    run('kaylee');
    await Promise.all([healthy('kami'), healthy('kaylee')]);
    const t = await deploy();
    const code = await askFor(t);
    green.incoming({ from: OWNER, text: 'pause' });
    await said(/^⏸️ Paused/);
    green.incoming({ from: OWNER, text: `yes ${code}` });
    await said(new RegExp(`^✅ Approved \\(${code}\\)`));
    await sleep(3000); // past kaylee's re-check
    assert.deepEqual(runs(), [], 'approved, but paused: it waits');
    assert.equal(await taskState(t), 'queued');
    green.incoming({ from: OWNER, text: 'resume' });
    await said(/^🔔 kaylee: ✅ deploy: deployment "production" succeeded/);
    await sleep(1000);
    assert.deepEqual(runs(), [t]);
  });

  it('the relay and kaylee SIGKILLed while waiting: after the restart it is still pending, not asked again, and the yes (in Hebrew) runs it once', async () => {
    await network('10m');
    let kami = run('kami');
    const kaylee = run('kaylee');
    await Promise.all([healthy('kami'), healthy('kaylee')]);
    const t = await deploy();
    const code = await askFor(t);
    // Killed after the ask is recorded as sent (a kill between the provider's accept and that record resends it: the outbox's at-least-once).
    await waitFor(async () => (await store.ledger.outbound('kami')).some((o) => o.key.startsWith('approval:') && o.state === 'sent'), 'the ask recorded as sent');
    await stopProcess(kami, 'SIGKILL');
    await stopProcess(kaylee, 'SIGKILL');
    await sleep(2500);
    assert.equal((await store.approvals.list({ status: 'pending' })).length, 1, 'still pending while the relay is down');
    assert.deepEqual(runs(), []);
    kami = run('kami');
    run('kaylee');
    await Promise.all([healthy('kami'), healthy('kaylee')]);
    await sleep(2000); // a few of the relay's turns
    assert.equal(toOwner().filter((m) => m.startsWith('🔐')).length, 1, 'not asked twice');
    assert.equal((await store.ledger.outbound('kami')).filter((o) => o.key.startsWith('approval:')).length, 1, 'one ask in the ledger');
    green.incoming({ from: OWNER, text: `כן ${code}` });
    await said(new RegExp(`^✅ אושר \\(${code}\\): kaylee מריץ deploy production`));
    await said(/^🔔 kaylee: ✅ deploy: deployment "production" succeeded/);
    await sleep(2500);
    assert.deepEqual(runs(), [t], 'once');
    assert.equal((await store.queue.get(t))?.attempts, 1, 'waiting used no attempt, and the kill none either');
  });
});
