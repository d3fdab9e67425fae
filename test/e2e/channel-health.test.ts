/**
 * A relay's channel cannot look healthy while deaf, with real processes: a long poll that hangs, an
 * instance that is no longer authorized (only getStateInstance says so), an answer of the wrong
 * shape, a webhook nobody calls. /health and `agentnet status` say why, the owners are alerted once
 * per change (and through a second relay where there is one), and told when it works again.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ChannelReport } from '../../src/channels/index.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;
const DEGRADED = /^⚠️ kami's WhatsApp channel is degraded: /;
const BACK = /^✅ kami's WhatsApp channel works again \(degraded for /;

type Health = { status: string; problems?: string[]; channel?: ChannelReport };

describe('channel health (real processes)', () => {
  let dir: string;
  let cleanup: () => void;
  let procs: ChildProcess[];
  let green: FakeGreenApi;

  /** kami's WhatsApp channel on the fake Green API, with `extra` channel keys; more agents after it. */
  const network = (ports: Record<string, number>, extra: string, more = '') =>
    writeFileSync(
      join(dir, 'agentnet.yaml'),
      `network: test
bridge: { pollIntervalMs: 100 }
agents:
  kami:
    role: relay
    health: { port: ${ports.kami} }
    relay: { confirmMs: 0, watchMs: 0 }
    channel:
      type: whatsapp
      apiUrl: ${green.url}
      idInstance: "${green.idInstance}"
      apiToken: ${green.apiToken}
      owners: ["${OWNER}"]
      language: en
      pace: { perChatMs: 0, perInstanceMs: 0 }
${extra}
${more}`,
    );
  const run = async (agent: string, port: number) => {
    const p = spawnNode([BIN, 'run', agent, '--quiet'], { cwd: dir });
    p.stdout!.resume();
    procs.push(p);
    await waitHealthy(port, agent, p);
    return p;
  };
  const health = async (port: number): Promise<Health> => (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Health;
  const alerts = () => green.sentTo(OWNER_CHAT);

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-deaf-'));
    procs = [];
    green = await startFakeGreenApi({ webhookRetryMs: 200 });
  });
  afterEach(async () => {
    for (const p of procs) await stopProcess(p, 'SIGKILL');
    await green.close();
    cleanup();
  });

  it('a long poll that hangs: degraded by the receive watch (not by an error), the owner alerted once, and told when it hears again', async () => {
    const port = await freePort();
    network({ kami: port }, '      receiveTimeoutS: 5\n      canary: 1s');
    green.hang('receiveNotification');
    await run('kami', port);
    await waitFor(() => green.hanging('receiveNotification') >= 1, 'the first long poll hanging');
    await waitFor(async () => (await health(port)).status === 'degraded', 'kami degraded', 30_000);
    const h = await health(port);
    assert.deepEqual(h.channel?.receive, { mode: 'poll', lastCycleAt: null, expectedWithinMs: 10_000 }, 'the interval is the 5 s wait plus the 5 s margin');
    assert.equal(h.channel?.problems.length, 1, `only the watch saw it, before the client's own timeout: ${JSON.stringify(h.channel?.problems)}`);
    assert.match(h.problems?.join() ?? '', /^channel: deaf: no long poll to Green API has come back since the start \(expected within 10 s/);
    const alert = await green.waitForSent((m) => DEGRADED.test(m.message), 15_000);
    assert.match(alert.message, /deaf: no long poll to Green API has come back .*messages to it may not arrive.*kami will tell you when it works again\.$/);

    // agentnet status says why, with the channel's last receive cycle and its canary.
    await waitFor(async () => (await health(port)).channel?.canary !== undefined, 'a canary');
    const status = await agentnet(['status'], { cwd: dir });
    assert.equal(status.code, 0, 'degraded is not down');
    assert.match(status.stdout, /kami +relay +degraded \(channel: deaf: no long poll to Green API/);
    assert.match(status.stdout, /channels:\n  kami: whatsapp \(poll\) degraded: deaf: .*; last receive cycle none yet \(expected within 10 s\); canary \d+s ago: ok, instance authorized/);

    // Two more canaries seen through /health (so two more refreshes, still deaf): still one alert.
    const seen = new Set<string>();
    await waitFor(async () => {
      const c = await health(port);
      if (c.status === 'degraded' && c.channel?.canary) seen.add(c.channel.canary.at);
      return seen.size >= 3;
    }, 'three canaries while deaf');
    assert.equal(alerts().length, 1, JSON.stringify(alerts()));

    green.unhang();
    await green.waitForSent((m) => BACK.test(m.message), 30_000);
    assert.equal((await health(port)).status, 'ok');
    assert.equal(alerts().length, 2, JSON.stringify(alerts()));
  });

  it('the instance turns notAuthorized (only getStateInstance says so): degraded with the reason, alerted on WhatsApp and through the Telegram relay; a state of the wrong shape is a reason, not a crash', async () => {
    const tg = await startFakeTelegram();
    try {
      const ports = { kami: await freePort(), tami: await freePort() };
      network(
        ports,
        '      receiveTimeoutS: 5\n      canary: 1s',
        `  tami:
    role: relay
    health: { port: ${ports.tami} }
    channel: { type: telegram, token: "${tg.token}", apiRoot: "${tg.apiRoot}", receiveTimeoutS: 1, owners: [111], language: en, pace: { perChatMs: 0, perInstanceMs: 0 } }`,
      );
      const kami = await run('kami', ports.kami);
      await run('tami', ports.tami);
      green.state = 'notAuthorized'; // no stateInstanceChanged notification: only the canary can tell
      const alert = await green.waitForSent((m) => DEGRADED.test(m.message), 15_000);
      assert.match(alert.message, /the WhatsApp instance is notAuthorized: the WhatsApp account is not linked: scan the QR code in the Green API console/);
      const second = await tg.waitForSent((m) => m.chat_id === '111' && m.text.includes("kami's WhatsApp channel is degraded"), 15_000);
      assert.equal(second.text, `🔔 kami: ${alert.message}`);
      // One trace: the alert to kami's owners, its record on the bridge, and tami's delivery of it on Telegram.
      let trace: { complete: boolean; hops: Array<{ hop: string; agent: string; detail?: Record<string, unknown> }> } | undefined;
      await waitFor(async () => {
        const r = await agentnet(['trace', alert.idMessage, '--json'], { cwd: dir });
        trace = r.code === 0 ? JSON.parse(r.stdout) : undefined;
        return trace?.hops.some((h) => h.hop === 'sent' && h.agent === 'tami') ?? false;
      }, "the alert's trace, to tami's send", 15_000);
      const hops = trace!.hops.map((h) => `${h.hop} ${h.agent}${h.detail?.to ? ` to ${h.detail.to}` : ''}`);
      for (const hop of ['queued kami', 'sent kami', 'notified kami to kami', 'notified kami to tami', 'claimed tami', 'queued tami', 'sent tami']) assert.ok(hops.includes(hop), `${hop}: ${hops.join(', ')}`);
      assert.equal(trace!.complete, true, 'the record kami delivered itself waits for nobody');
      const h = await health(ports.kami);
      assert.equal(h.status, 'degraded');
      assert.equal(h.channel?.state, 'notAuthorized');
      assert.equal(h.channel?.canary?.ok, false);
      assert.match(h.problems?.join() ?? '', /^channel: the WhatsApp instance is notAuthorized/);

      green.state = 'authorized';
      const back = await green.waitForSent((m) => BACK.test(m.message), 15_000);
      await tg.waitForSent((m) => m.text === `🔔 kami: ${back.message}`, 15_000);

      // Answers of the wrong shape (for about 8 canaries): a reason in /health, the process still up. No
      // alert this time: a second "degraded" within the gap is held back (a flapping channel must not spam).
      green.garble({ stateInstance: 42 }, 8, 'getStateInstance');
      await waitFor(async () => (await health(ports.kami)).problems?.some((p) => p.includes('documented shape')) ?? false, 'the wrong shape in /health', 15_000);
      const g = await health(ports.kami);
      assert.equal(g.status, 'degraded');
      assert.match(g.channel?.problems.join() ?? '', /^cannot read the WhatsApp instance state: Green API getStateInstance: the answer does not have the documented shape: stateInstance: .*expected string.*got 42/);
      assert.ok(!JSON.stringify(g).includes(green.apiToken));
      await waitFor(async () => (await health(ports.kami)).status === 'ok', 'ok once the answers have their shape again', 30_000);
      assert.equal(kami.exitCode, null, 'still running');
      assert.deepEqual(alerts().map((a) => (DEGRADED.test(a) ? 'degraded' : BACK.test(a) ? 'back' : a)), ['degraded', 'back']);
    } finally {
      await tg.close();
    }
  });

  it('a webhook nobody calls any more is degraded after maxSilence; a call brings it back; silent again, the owner is not told twice within the gap', async () => {
    const port = await freePort();
    const hook = await freePort();
    const token = 'whk-0123456789abcdef';
    network({ kami: port }, `      receive: webhook\n      webhook: { host: 127.0.0.1, port: ${hook}, token: ${token} }\n      maxSilence: 8s\n      canary: off`);
    await run('kami', port);
    green.setWebhook(`http://127.0.0.1:${hook}/`, token);
    const alert = await green.waitForSent((m) => DEGRADED.test(m.message), 30_000);
    assert.match(alert.message, /deaf: no webhook call and no confirmation from Green API since the start \(maxSilence 8 s\)/);
    green.notify({ typeWebhook: 'outgoingMessageStatus', chatId: '1@c.us', idMessage: 'X1', status: 'read', timestamp: 1 });
    await green.waitForSent((m) => BACK.test(m.message), 20_000);
    // Silent again: degraded in /health, and a later refresh still degraded, without a third alert.
    let first: string | undefined;
    await waitFor(async () => {
      const h = await health(port);
      if (h.status !== 'degraded') return false;
      first ??= h.channel?.detail;
      return h.channel?.detail !== first;
    }, 'two refreshes while silent again', 30_000);
    assert.deepEqual(alerts().map((a) => (DEGRADED.test(a) ? 'degraded' : BACK.test(a) ? 'back' : a)), ['degraded', 'back']);
    assert.equal((await health(port)).channel?.canary, undefined, 'canary: off');
  });
});
