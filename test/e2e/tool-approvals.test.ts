/**
 * A model's tool call waits for the owner's yes, as real processes: the orchestrator (its model
 * the fake Anthropic API) answers a request by calling run_command `systemctl restart nginx` (a
 * fake systemctl on its PATH counts each run) or http_get on a gated host (a local server counts
 * each hit), and the owner answers with `agentnet approvals` or on WhatsApp through the relay.
 * Approve, deny, silence, a SIGKILL while waiting; counted, never read from the code.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openBridge, type Bridge, type BridgeMessage } from '../../src/bridge/index.ts';
import { createSqliteStore, type Approval, type Store } from '../../src/store/index.ts';
import { startFakeAnthropic, type AnthropicReply } from '../fakes/fake-anthropic.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import type { ScriptedServer } from '../fakes/scripted-server.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;
const RESTART = { argv: ['systemctl', 'restart', 'nginx'] };

describe('tool calls waiting for the owner (real processes)', () => {
  let t: ReturnType<typeof tempDir>;
  let fake: ScriptedServer<AnthropicReply>;
  let web: Server;
  let webUrl: string;
  let hits: string[];
  let store: Store;
  let bridge: Bridge;
  let port: number;
  const procs: ChildProcess[] = [];

  /** claude: run_command (systemctl) and http_get granted; restarts and 127.0.0.1 wait for a yes within `ttl`. */
  const network = async (ttl: string, extra = '') => {
    port = await freePort();
    writeFileSync(
      join(t.dir, 'agentnet.yaml'),
      `network: gate
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: test-key, baseUrl: "${fake.url}", maxRetries: 0 }
    health: { port: ${port} }
    tools: [{ name: run_command, allow: [[systemctl]] }, { name: http_get, hosts: [localhost, 127.0.0.1] }]
    approve: { run_command: [[systemctl, restart]], http_get: [127.0.0.1], ttl: ${ttl} }
${extra}`,
    );
    store = createSqliteStore({ path: join(t.dir, '.agentnet', 'store.db') });
    bridge = await openBridge({ backend: 'jsonl', path: join(t.dir, '.agentnet', 'bridge', 'messages.jsonl') });
  };
  /** The agent, with the fake systemctl first on its PATH. */
  const run = async (agent = 'claude', healthPort = port) => {
    const p = spawnNode([BIN, 'run', agent, '--quiet'], { cwd: t.dir, env: { PATH: `${join(t.dir, 'bin')}:${process.env.PATH}` } });
    p.stdout!.resume();
    procs.push(p);
    await waitHealthy(healthPort, agent, p);
    p.stderr!.resume();
    return p;
  };
  /** What systemctl was run with, one line per run. */
  const systemctl = () => (existsSync(join(t.dir, 'systemctl.log')) ? readFileSync(join(t.dir, 'systemctl.log'), 'utf8').trim().split('\n') : []);
  const request = (content: string) => bridge.append({ from: 'kami', to: 'claude', type: 'request', content });
  const responsesTo = async (id: string): Promise<BridgeMessage[]> => (await bridge.list({ type: 'response' })).filter((m) => m.replyTo === id);
  const answer = async (id: string) => {
    await waitFor(async () => (await responsesTo(id)).length > 0, 'the answer', 30_000);
    return (await responsesTo(id))[0]!;
  };
  const asked = async (): Promise<Approval> => {
    await waitFor(async () => (await store.approvals.list()).length > 0, 'the approval asked');
    return (await store.approvals.list())[0]!;
  };
  const cli = async (verb: 'approve' | 'deny', code: string) => {
    const r = await agentnet(['approvals', verb, code], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  /** What the model was told of call `id`: the tool result in the request after it. */
  const toolResult = (id: string) => {
    for (const r of fake.requests) {
      const last = r.body.messages.at(-1);
      const found = Array.isArray(last?.content) ? (last.content as Array<{ type: string; tool_use_id: string; content: string; is_error?: boolean }>).find((c) => c.type === 'tool_result' && c.tool_use_id === id) : undefined;
      if (found) return found;
    }
    assert.fail(`no tool result for ${id}`);
  };
  const calls = (...uses: Array<[string, string, unknown]>): { reply: AnthropicReply } => ({ reply: { toolUses: uses.map(([id, name, input]) => ({ id, name, input })) } });

  beforeEach(async () => {
    t = tempDir('agentnet-tool-gate-');
    mkdirSync(join(t.dir, 'bin'));
    writeFileSync(join(t.dir, 'bin', 'systemctl'), `#!/bin/sh\necho "$*" >> "${join(t.dir, 'systemctl.log')}"\necho "systemctl $*: ok"\n`);
    chmodSync(join(t.dir, 'bin', 'systemctl'), 0o755);
    fake = await startFakeAnthropic();
    hits = [];
    web = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`page ${req.url}`);
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    webUrl = `127.0.0.1:${(web.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await stopProcess(p, 'SIGKILL');
    await store?.close();
    await bridge?.close();
    await fake.close();
    await new Promise((r) => web.close(r));
    t.cleanup();
  });

  it('approved with `agentnet approvals approve`: the restart runs once and the model reads its output; `systemctl status` runs unasked', async () => {
    await network('10m');
    await run();
    fake.script(calls(['s', 'run_command', { argv: ['systemctl', 'status', 'nginx'] }], ['r', 'run_command', RESTART]), { reply: { text: 'nginx restarted' } });
    const req = await request('nginx is stuck, restart it');
    const a = await asked();
    assert.deepEqual([a.agent, a.action, a.reason], ['claude', { kind: 'run_command', name: 'systemctl', args: ['restart', 'nginx'] }, `request ${req.id} from kami: "nginx is stuck, restart it"`]);
    assert.match(a.actionKey, new RegExp(`^${req.id}:run_command:[0-9a-f]{16}$`));
    assert.match(a.expiresAt, /Z$/);
    assert.deepEqual(systemctl(), ['status nginx'], 'status ran without asking; restart waits');
    assert.match(await cli('approve', a.code), new RegExp(`^approved ${a.code}: claude may now run run_command systemctl restart nginx`));
    assert.equal((await answer(req.id)).content, 'nginx restarted');
    assert.deepEqual(systemctl(), ['status nginx', 'restart nginx']);
    assert.match(toolResult('r').content, new RegExp(`^approved by terminal \\(approval ${a.code}\\); it ran:\nexit 0\n--- stdout\nsystemctl restart nginx: ok`));
    assert.equal(toolResult('r').is_error, undefined);
    const ran = (await store.approvals.get(a.id))!;
    assert.ok(ran.ranAt, 'recorded as run');
    await sleep(1500); // past a poll of the store
    assert.deepEqual(systemctl(), ['status nginx', 'restart nginx'], 'once');
    assert.equal((await store.approvals.list({ all: true })).length, 1, 'asked once');
    assert.equal((await responsesTo(req.id)).length, 1);
  });

  it('denied: the restart never runs and the model is told who said no', async () => {
    await network('10m');
    await run();
    fake.script(calls(['r', 'run_command', RESTART]), { reply: { text: 'the owner said no' } });
    const req = await request('restart nginx');
    const a = await asked();
    await cli('deny', a.code);
    assert.equal((await answer(req.id)).content, 'the owner said no');
    assert.equal(toolResult('r').content, `run_command failed: not run: the owner denied it (approval ${a.code}, by terminal via terminal); do not try it again for this request`);
    assert.equal(toolResult('r').is_error, true);
    assert.deepEqual(systemctl(), []);
  });

  it('silence: the request expires after the ttl, the restart never runs, the model is told', async () => {
    await network('2s');
    await run();
    fake.script(calls(['r', 'run_command', RESTART]), { reply: { text: 'no answer from the owner' } });
    const req = await request('restart nginx');
    const a = await asked();
    assert.equal((await answer(req.id)).content, 'no answer from the owner');
    assert.match(toolResult('r').content, new RegExp(`^run_command failed: not run: approval ${a.code} expired at .* without the owner's answer$`));
    assert.deepEqual(systemctl(), []);
    const late = await agentnet(['approvals', 'approve', a.code], { cwd: t.dir });
    assert.notEqual(late.code, 0, 'too late to approve');
    await sleep(1500);
    assert.deepEqual(systemctl(), []);
  });

  it('SIGKILLed while waiting: after the restart the request is handled again, the same approval is found (not asked twice), and the yes runs the restart once', async () => {
    await network('10m');
    const first = await run();
    fake.script(calls(['r1', 'run_command', RESTART]));
    const req = await request('restart nginx');
    const a = await asked();
    await stopProcess(first, 'SIGKILL');
    // The turn runs again from the start: the model asks for the same call.
    fake.script(calls(['r2', 'run_command', RESTART]), { reply: { text: 'restarted after all' } });
    await run();
    await waitFor(() => fake.requests.length === 2, 'the request handled again');
    await sleep(1500); // past a poll of the store
    assert.equal((await store.approvals.list({ all: true })).length, 1, 'not asked twice');
    assert.deepEqual(systemctl(), []);
    await cli('approve', a.code);
    assert.equal((await answer(req.id)).content, 'restarted after all');
    assert.match(toolResult('r2').content, /^approved by terminal/);
    await sleep(1500);
    assert.deepEqual(systemctl(), ['restart nginx'], 'once');
    assert.equal((await responsesTo(req.id)).length, 1, 'one answer');
  });

  it('http_get: a gated host is fetched once after the yes; another host unasked', async () => {
    await network('10m');
    await run();
    const open = `http://${webUrl.replace('127.0.0.1', 'localhost')}/open`;
    const admin = `http://${webUrl}/admin`;
    fake.script(calls(['o', 'http_get', { url: open }], ['a', 'http_get', { url: admin }]), { reply: { text: 'read both' } });
    const req = await request('read the admin page');
    const a = await asked();
    assert.deepEqual(a.action, { kind: 'http_get', name: admin });
    assert.deepEqual(hits, ['/open'], 'the admin page waits for the yes');
    await cli('approve', a.code);
    assert.equal((await answer(req.id)).content, 'read both');
    assert.match(toolResult('a').content, /^approved by terminal .*\nHTTP 200 text\/plain\npage \/admin$/);
    await sleep(1500);
    assert.deepEqual(hits, ['/open', '/admin'], 'once');
  });

  it("the relay's own tool call: asked on WhatsApp, the owner's yes in the same chat is taken while the turn waits, and the restart runs once", async () => {
    let green: FakeGreenApi | undefined = await startFakeGreenApi();
    try {
      const kamiPort = await freePort();
      await network(
        '10m',
        `  kami:
    role: relay
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: test-key, baseUrl: "${fake.url}", maxRetries: 0 }
    health: { port: ${kamiPort} }
    channel: { type: whatsapp, apiUrl: "${green.url}", idInstance: "${green.idInstance}", apiToken: "${green.apiToken}", receiveTimeoutS: 5, owners: ["${OWNER}"], language: en, pace: { perChatMs: 0, perInstanceMs: 0 } }
    tools: [{ name: run_command, allow: [[systemctl]] }]
    approve: { run_command: [[systemctl, restart]] }
`,
      );
      await run('kami', kamiPort);
      fake.script(calls(['r', 'run_command', RESTART]), { reply: { text: 'nginx is restarted' } });
      green.incoming({ from: OWNER, text: 'nginx is stuck' });
      const ask = await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.startsWith('🔐 kami asks for your yes: run_command systemctl restart nginx\nWhy: your message "nginx is stuck"'), 20_000);
      const code = /Reply "yes (\d{4})"/.exec(ask.message)![1]!;
      assert.deepEqual(systemctl(), []);
      green.incoming({ from: OWNER, text: `yes ${code}` });
      await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.startsWith(`✅ Approved (${code})`), 20_000);
      await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message === 'nginx is restarted', 20_000);
      await sleep(1500);
      assert.deepEqual(systemctl(), ['restart nginx'], 'once');
      assert.equal(green.sentTo(OWNER_CHAT).filter((m) => m.startsWith('🔐')).length, 1, 'asked once');
    } finally {
      await green?.close();
      green = undefined;
    }
  });
});
