/**
 * Approvals on Telegram as real processes: kaylee's production deployment waits for the owner's
 * yes, asked by kami through a fake Bot API with Approve and Deny buttons, on a real SQLite store.
 * A tap approves or denies once; a stranger's tap, a second tap, a tap after the decision or after
 * the expiry change nothing and say why on the phone; the relay killed between the ask and the tap
 * (and Telegram delivering the tap again) still decides once. Runs are counted from the deploy
 * script's own file, never inferred.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createSqliteStore, type Store } from '../../src/store/index.ts';
import { startFakeTelegram, type FakeTelegram, type TelegramSent } from '../fakes/fake-telegram.ts';
import { writeApprovalsNetwork } from '../helpers/approvals-network.ts';
import { agentnet, BIN, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

const OWNER = 111;
const STRANGER = 222;

describe('approvals on Telegram: buttons (real processes)', () => {
  let dir: string;
  let cleanup: () => void;
  let procs: ChildProcess[];
  let ports: Record<string, number>;
  let tg: FakeTelegram;
  let store: Store;

  /** kami (relay on Telegram, in `language`) and kaylee (autonomous), whose `production` deployment needs a yes within `ttl`. */
  const network = async (ttl: string, language: 'en' | 'he' = 'en') => {
    ports = await writeApprovalsNetwork(dir, `{ type: telegram, token: "${tg.token}", apiRoot: "${tg.apiRoot}", owners: [${OWNER}], language: ${language}, pace: { perChatMs: 0, perInstanceMs: 0 } }`, ttl);
    store = createSqliteStore({ path: join(dir, '.agentnet', 'store.db') });
  };
  const run = (agent: string) => {
    const p = spawnNode([BIN, 'run', agent], { cwd: dir });
    p.stdout!.resume();
    p.stderr!.resume();
    procs.push(p);
    return p;
  };
  const start = async () => {
    const kami = run('kami');
    const kaylee = run('kaylee');
    await Promise.all([waitHealthy(ports.kami!, 'kami', kami), waitHealthy(ports.kaylee!, 'kaylee', kaylee)]);
    return { kami, kaylee };
  };
  /** A production deployment due now, enqueued as any task is. */
  const deploy = async () => {
    const r = await agentnet(['tasks', 'add', 'deploy', '--payload', JSON.stringify({ deployment: 'production' })], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  /** The deployments that ran, by task id: the script appends one line per run. */
  const runs = () => (existsSync(join(dir, 'runs.txt')) ? readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n') : []);
  const approvalOf = async (task: string) => (await store.approvals.list({ all: true })).find((a) => a.actionKey.startsWith(`${task}:`));
  /** The ask for `task` in the owner's chat, with its two buttons bound to the task's approval. */
  const askFor = async (task: string, labels = ['✅ Approve', '🚫 Deny']) => {
    const ask = await tg.waitForSent((m) => m.chat_id === String(OWNER) && m.text.startsWith('🔐 kaylee') && m.text.includes(task), 20_000);
    const a = (await approvalOf(task))!;
    assert.match(ask.text, new RegExp(`"(yes|כן) ${a.code}"`), 'the typed answer is still offered');
    assert.deepEqual(ask.inline_keyboard, [[{ text: labels[0], callback_data: `approve:${a.id}` }, { text: labels[1], callback_data: `deny:${a.id}` }]]);
    return { ask, a };
  };
  const said = (re: RegExp, timeoutMs = 20_000) => tg.waitForSent((m) => m.chat_id === String(OWNER) && re.test(m.text), timeoutMs);
  const tap = (ask: TelegramSent, decision: 'approve' | 'deny', fromId = OWNER) => tg.tap({ fromId, messageId: ask.message_id, data: ask.inline_keyboard![0]![decision === 'approve' ? 0 : 1]!.callback_data });
  /** What the phone showed for a tap: the answerCallbackQuery's notice ('' for none). */
  const notice = async (t: { queryId: string }) => (await tg.waitForAnswer(t.queryId, 20_000)).text ?? '';
  const taskState = async (id: string) => (await store.queue.get(id))?.state;
  /** Kaylee looked at the waiting task again after `since` and gave it back to the queue: it did not run. */
  const kayleeWaitedAfter = (task: string, since: number) =>
    waitFor(async () => {
      const t = await store.queue.get(task);
      return t?.state === 'queued' && Date.parse(t.updatedAt) > since;
    }, 'kaylee to look at the task again and wait');

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-approvals-tg-'));
    procs = [];
    tg = await startFakeTelegram();
  });
  afterEach(async () => {
    for (const p of procs) await stopProcess(p, 'SIGKILL');
    await tg.close();
    await store?.close();
    cleanup();
  });

  it("Approve: a stranger's tap decides nothing and learns nothing; the owner's tap runs the deployment once, told in the chat and on the phone, the ask settled; a second tap and a tap on Deny change nothing; Deny on the next one never runs it", async () => {
    await network('10m');
    await start();
    const first = await deploy();
    const { ask, a } = await askFor(first);
    assert.equal(await taskState(first), 'queued', 'waiting for the yes');

    const stranger = tap(ask, 'approve', STRANGER);
    assert.equal(await notice(stranger), '', 'the stranger\'s spinner stops, with nothing said');
    await waitFor(async () => (await store.ledger.stats('kami', Date.now())).inbound.refused === 1, "the stranger's tap recorded as refused");
    await kayleeWaitedAfter(first, Date.now());
    assert.equal((await store.approvals.get(a.id))?.status, 'pending', 'still pending');
    assert.deepEqual(runs(), [], 'a stranger cannot approve');
    assert.deepEqual(tg.sentTo(STRANGER), []);
    assert.deepEqual(tg.message(OWNER, ask.message_id)?.inline_keyboard, ask.inline_keyboard, 'the owner\'s buttons stay');

    const yes = tap(ask, 'approve');
    assert.equal(await notice(yes), '✅ Approved');
    await said(new RegExp(`^✅ Approved \\(${a.code}\\): kaylee runs deploy production`));
    await said(/^🔔 kaylee: ✅ deploy: deployment "production" succeeded/);
    assert.equal(await taskState(first), 'done');
    assert.deepEqual(runs(), [first]);
    const approved = (await store.approvals.get(a.id))!;
    assert.deepEqual([approved.status, approved.decidedBy, approved.channel, Boolean(approved.ranAt)], ['approved', String(OWNER), 'telegram', true]);
    await waitFor(() => tg.message(OWNER, ask.message_id)?.inline_keyboard === undefined, 'the ask to lose its buttons');
    assert.match(tg.message(OWNER, ask.message_id)!.text, new RegExp(`^🔐 kaylee asks for your yes: deploy production\\nWhy: .*\\n✅ Approved by ${OWNER} \\(${a.code}\\)\\.$`));

    // A second tap on Approve, and one on Deny, from a phone that had not seen the edit yet.
    assert.equal(await notice(tap(ask, 'approve')), `Already approved by ${OWNER}; nothing changed`);
    assert.equal(await notice(tap(ask, 'deny')), `Already approved by ${OWNER}; nothing changed`);
    await waitFor(async () => (await store.ledger.stats('kami', Date.now())).inbound.handled === 3, 'both taps handled');
    assert.equal((await store.approvals.get(a.id))?.status, 'approved');
    assert.deepEqual(runs(), [first], 'once');
    assert.equal(tg.sentTo(OWNER).filter((t) => t.startsWith('✅ Approved')).length, 1, 'the decision told once in the chat');

    const second = await deploy();
    const { ask: ask2, a: a2 } = await askFor(second);
    assert.notEqual(a2.id, a.id);
    assert.equal(await notice(tap(ask2, 'deny')), '🚫 Denied');
    await said(new RegExp(`^🚫 Denied \\(${a2.code}\\): kaylee will not run deploy production\\.$`));
    await said(new RegExp(`^🔔 kaylee: ⛔ deploy: deploy production not run: denied by ${OWNER} \\(telegram\\) \\(task ${second}\\)$`));
    await waitFor(async () => (await taskState(second)) === 'done', 'the denied task ended, not dead');
    assert.equal(await notice(tap(ask2, 'approve')), `Already denied by ${OWNER}; nothing changed`, 'an Approve after the Deny');
    assert.equal((await store.approvals.get(a2.id))?.status, 'denied');
    await waitFor(() => tg.message(OWNER, ask2.message_id)?.text.endsWith(`🚫 Denied by ${OWNER} (${a2.code}).`) === true, 'the second ask settled as denied');
    assert.deepEqual(runs(), [first], 'the denied one never ran');
    assert.equal((await store.queue.stats()).dead, 0, 'nothing dead-lettered');
  });

  it('silence: the ask is settled as expired; a tap after the expiry decides nothing and says so; a forged button decides nothing', async () => {
    await network('3s');
    await start();
    const t = await deploy();
    const { ask, a } = await askFor(t);
    await said(new RegExp(`^⌛ Approval ${a.code} expired without an answer: kaylee did not run deploy production\\.$`));
    await said(new RegExp(`^🔔 kaylee: ⛔ deploy: deploy production not run: approval ${a.code} expired at `));
    await waitFor(() => tg.message(OWNER, ask.message_id)?.inline_keyboard === undefined, 'the ask to lose its buttons at the expiry');
    assert.match(tg.message(OWNER, ask.message_id)!.text, new RegExp(`\\n⌛ Expired without an answer \\(${a.code}\\)\\.$`));

    await waitFor(async () => (await store.ledger.stats('kami', Date.now())).outbound.pending === 0, 'the expiry told');
    const told = tg.sentTo(OWNER).length;
    assert.equal(await notice(tap(ask, 'approve')), '⌛ Expired; nothing was decided');
    assert.equal(await notice(tg.tap({ fromId: OWNER, messageId: ask.message_id, data: `approve:approval-${'0'.repeat(8)}` })), 'No such request; nothing was decided', 'data naming no approval');
    assert.equal(await notice(tg.tap({ fromId: OWNER, messageId: ask.message_id, data: 'status' })), 'No such request; nothing was decided', 'a button\'s data never runs a command');
    await waitFor(async () => {
      const st = await store.ledger.stats('kami', Date.now());
      return st.inbound.handled === 3 && st.outbound.pending === 0;
    }, 'the three taps handled, nothing waiting to go out');
    assert.equal((await store.approvals.get(a.id))?.status, 'expired');
    assert.equal(await taskState(t), 'done');
    assert.deepEqual(runs(), []);
    assert.deepEqual(tg.sentTo(OWNER).slice(told), [], 'nothing decided, no command answered: the phone\'s notices said it all');
  });

  it('the ask waits out Telegram and a killed relay with its buttons; the relay killed between the ask and the tap, and the tap delivered again, decide once (in Hebrew)', async () => {
    await network('10m', 'he');
    let { kami } = await start();
    // Telegram down: the ask waits in the ledger, with its buttons, across a kill of the relay.
    tg.down();
    const t = await deploy();
    await waitFor(async () => (await store.ledger.outbound('kami')).some((o) => o.key.startsWith('approval:') && o.state === 'pending' && o.lastError !== undefined), 'the ask tried and waiting');
    await stopProcess(kami, 'SIGKILL');
    tg.up();
    kami = run('kami');
    const { ask, a } = await askFor(t, ['✅ אשר', '🚫 דחה']);

    // Killed after the ask is recorded as sent; the owner taps while the relay is down.
    await waitFor(async () => (await store.ledger.outbound('kami')).some((o) => o.key.startsWith('approval:') && o.state === 'sent'), 'the ask recorded as sent');
    await stopProcess(kami, 'SIGKILL');
    const yes = tap(ask, 'approve');
    assert.equal((await store.approvals.get(a.id))?.status, 'pending', 'nothing decided while the relay is down');
    kami = run('kami');
    await waitHealthy(ports.kami!, 'kami', kami);
    assert.equal(await notice(yes), '✅ אושר');
    await said(new RegExp(`^✅ אושר \\(${a.code}\\): kaylee מריץ deploy production`));
    await said(/^🔔 kaylee: ✅ deploy: deployment "production" succeeded/);
    await waitFor(() => tg.message(OWNER, ask.message_id)?.inline_keyboard === undefined, 'the ask to lose its buttons');
    assert.deepEqual(runs(), [t]);

    // Killed again before Telegram heard the tap was taken: it delivers the same update again.
    await stopProcess(kami, 'SIGKILL');
    tg.redeliver(yes.updateId);
    kami = run('kami');
    await waitHealthy(ports.kami!, 'kami', kami);
    const delivered = () => readFileSync(join(dir, '.agentnet', 'logs', 'kami.log'), 'utf8').split('\n').filter((l) => l.includes('delivered again by the provider')).length;
    await waitFor(() => tg.pending() === 0 && delivered() === 1, 'the redelivered tap recognised, and confirmed');
    await waitFor(async () => (await store.ledger.stats('kami', Date.now())).inbound.received === 0, 'nothing left unhandled');
    const inbound = await store.ledger.stats('kami', Date.now());
    assert.equal(inbound.inbound.handled, 1, 'one tap recorded, however often delivered');
    assert.equal(tg.answers.filter((x) => x.callback_query_id === yes.queryId).length, 1, 'answered once');
    assert.equal((await store.approvals.get(a.id))?.status, 'approved');
    assert.equal(tg.sentTo(OWNER).filter((m) => m.startsWith('🔐')).length, 1, 'asked once');
    assert.equal(tg.sentTo(OWNER).filter((m) => m.startsWith('✅ אושר')).length, 1, 'told once');
    assert.deepEqual(runs(), [t], 'run once');
    assert.equal((await store.queue.get(t))?.attempts, 1, 'waiting used no attempt, and the kills none either');
  });
});
