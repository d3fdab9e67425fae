import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJsonlBridge, type Bridge } from '../../src/bridge/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { pauseNetwork, resumeNetwork } from '../../src/agent/pause.ts';
import { startAgent, type RunningAgent } from '../../src/cli/roles.ts';
import type { Model } from '../../src/models/model.ts';
import { tempDir, waitFor, writeNetwork } from '../helpers/util.ts';

describe('agent runtime', () => {
  let dir: string;
  let cleanup: () => void;
  let config: Config;
  let bridge: Bridge;
  const running: RunningAgent[] = [];
  const start = async (agent: string, extra: Partial<Parameters<typeof startAgent>[0]> = {}) => {
    const a = await startAgent({ config, agent, stdout: false, ...extra });
    running.push(a);
    return a;
  };
  const responsesTo = async (id: string) => (await bridge.list({ type: 'response' })).filter((m) => m.replyTo === id);

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-rt-'));
    const { file } = await writeNetwork(dir);
    config = loadConfig(file, { env: {} }).config;
    bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
  });
  afterEach(async () => {
    for (const a of running.splice(0)) await a.stop();
    await bridge.close();
    cleanup();
  });

  it('answers a request addressed to it and marks it done; /health has the seed fields first', async () => {
    const claude = await start('claude');
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'deploy staging', metadata: { whatsapp_sender: '972500000000@c.us', priority: 'high' } });
    await waitFor(async () => (await bridge.get(req.id))?.status === 'done', 'the request to be done');
    const [res] = await responsesTo(req.id);
    assert.ok(res);
    assert.equal(res.from, 'claude');
    assert.equal(res.to, 'kami');
    assert.equal(res.metadata?.whatsapp_sender, '972500000000@c.us', 'the chat the answer goes back to');
    assert.match(res.content, /deploy staging[\s\S]*not a language model/);
    const health = (await (await fetch(claude.healthUrl)).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(health).slice(0, 4), ['status', 'uptime', 'lastActivity', 'messagesProcessed']);
    assert.equal(health.status, 'ok');
    assert.equal(health.messagesProcessed, 1);
    assert.equal(health.agent, 'claude');
    assert.equal(health.role, 'orchestrator');
    const metrics = await (await fetch(claude.healthUrl.replace('/health', '/metrics'))).text();
    assert.match(metrics, /# TYPE agentnet_messages_processed_total counter/);
    assert.match(metrics, /agentnet_messages_processed_total\{type="request",agent="claude",role="orchestrator"\} 1/);
    assert.match(metrics, /agentnet_process_resident_memory_bytes/);
    // Valid exposition format, as Prometheus itself checks it (.ci/run installs promtool).
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    assert.equal(check.error, undefined, 'promtool is needed: apt-get install prometheus');
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it("answers 'status' from the real network state", async () => {
    await start('claude');
    await start('kaylee');
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'status' });
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the answer');
    const [res] = await responsesTo(req.id);
    assert.match(res!.content, /claude \(orchestrator\): ok/);
    assert.match(res!.content, /kaylee \(autonomous\): ok/);
    assert.match(res!.content, /kami \(relay\): down/, 'kami is not running');
  });

  it('offline, a relay escalates work to the orchestrator with a real tool call and acknowledges', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config.file, readFileSync(config.file, 'utf8').replace('kami: { role: relay,', 'kami: { role: relay, tools: [bridge_send],'));
    config = loadConfig(config.file, { env: {} }).config;
    await start('claude');
    await start('kami');
    const req = await bridge.append({ from: 'owner', to: 'kami', type: 'request', content: 'deploy the api to staging' });
    await waitFor(async () => (await responsesTo(req.id)).length === 1, "kami's acknowledgement");
    assert.match((await responsesTo(req.id))[0]!.content, /Got it, passed to claude; the answer will follow\. \(kami, offline model, not a language model\)/);
    const escalated = (await bridge.list({ from: 'kami', to: 'claude', type: 'request' }))[0];
    assert.equal(escalated?.content, 'deploy the api to staging');
    await waitFor(async () => (await responsesTo(escalated!.id)).length === 1, "claude's answer to kami");
    assert.equal((await responsesTo(escalated!.id))[0]!.to, 'kami');
  });

  it('routes a seed-style request without "to" to the orchestrator', async () => {
    await start('claude');
    await start('kaylee');
    const req = await bridge.append({ from: 'kami', type: 'request', content: 'seed style' });
    await waitFor(async () => (await bridge.get(req.id))?.status === 'done', 'the request to be done');
    assert.deepEqual((await responsesTo(req.id)).map((m) => m.from), ['claude']);
  });

  it('never handles a message twice across restarts, even if its cursor is lost', async () => {
    const first = await start('claude');
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'once' });
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the answer');
    await first.stop();
    rmSync(join(config.stateDir, '..', '.agentnet', 'bridge', 'cursors'), { recursive: true, force: true });
    rmSync(join(config.bridge.path, '..', 'cursors'), { recursive: true, force: true });
    // Re-open the old record as pending, as a crash between the reply and markDone would leave it.
    await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'once', id: req.id, status: 'pending' });
    await start('claude');
    const next = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'after restart' });
    await waitFor(async () => (await responsesTo(next.id)).length === 1, 'the next answer');
    assert.equal((await responsesTo(req.id)).length, 1, 'no second reply');
  });

  it('takes nothing new while PAUSE exists and resumes when it goes', async () => {
    const claude = await start('claude');
    // The control: not paused, a request is taken and done; the paused window below is three times
    // as long as that took (at least 400 ms), so "still pending" means it was not taken.
    const before = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'before the pause' });
    const sent = performance.now();
    await waitFor(async () => (await bridge.get(before.id))?.status === 'done', 'the request before the pause to be done');
    const windowMs = Math.max(400, 3 * (performance.now() - sent));
    pauseNetwork(config.stateDir, { reason: 'test' });
    await waitFor(async () => ((await (await fetch(claude.healthUrl)).json()) as { status: string }).status === 'paused', 'health to say paused');
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'while paused' });
    await sleep(windowMs);
    assert.equal((await bridge.get(req.id))?.status, 'pending', 'not taken while paused');
    resumeNetwork(config.stateDir);
    await waitFor(async () => (await bridge.get(req.id))?.status === 'done', 'taken after resume');
  });

  it('retries a failing handler, then tells the sender instead of staying silent', async () => {
    let calls = 0;
    const broken: Model = {
      id: 'broken',
      isLanguageModel: true,
      async complete() {
        calls++;
        throw Object.assign(new Error('model API returned 500'), { status: 500 });
      },
    };
    const claude = await start('claude', { model: broken, maxAttempts: 2 });
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'x', metadata: { whatsapp_sender: 'chat-1' } });
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the failure notice');
    const [notice] = await responsesTo(req.id);
    assert.match(notice!.content, /claude: could not handle this \(2 attempts\): model API returned 500/);
    assert.equal(notice!.metadata?.whatsapp_sender, 'chat-1');
    assert.equal(calls, 2);
    assert.equal((await bridge.get(req.id))?.status, 'done');
    const health = (await (await fetch(claude.healthUrl)).json()) as Record<string, unknown>;
    assert.equal(health.status, 'degraded');
  });

  it('gives up on a message that takes longer than its deadline, and says so', async () => {
    const hang: Model = {
      id: 'hang',
      isLanguageModel: true,
      complete: (req) => new Promise((_resolve, reject) => req.signal?.addEventListener('abort', () => reject(req.signal!.reason))),
    };
    await start('claude', { model: hang, messageTimeoutMs: 200 });
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'never ends' });
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the failure notice');
    assert.match((await responsesTo(req.id))[0]!.content, /claude: could not handle this \(1 attempt\): .*timeout/i);
    const next = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'next' });
    await waitFor(async () => (await bridge.get(next.id))?.status !== undefined && (await responsesTo(next.id)).length === 1, 'the agent to move on');
  });

  it('does not run the tool loop again once a tool acted, and does not retry what cannot succeed', async () => {
    let calls = 0;
    const model: Model = {
      id: 'flaky',
      isLanguageModel: true,
      async complete(req) {
        calls++;
        if (req.messages.length === 1) return { text: '', toolCalls: [{ id: 't1', name: 'bridge_reply', input: { content: 'working on it' } }], usage: { inputTokens: 1, outputTokens: 1 } };
        throw Object.assign(new Error('overloaded'), { status: 529 });
      },
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config.file, readFileSync(config.file, 'utf8').replace('claude: { role: orchestrator,', 'claude: { role: orchestrator, tools: [bridge_reply],'));
    config = loadConfig(config.file, { env: {} }).config;
    await start('claude', { model, maxAttempts: 4 });
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'long job' });
    await waitFor(async () => (await responsesTo(req.id)).some((m) => m.metadata?.failed === true), 'the failure notice');
    const aboutIt = (await bridge.list()).filter((m) => m.replyTo === req.id);
    assert.deepEqual(aboutIt.filter((m) => m.content === 'working on it').map((m) => m.type), ['notification'], 'the tool ran once, and its word is a notification');
    assert.equal((await responsesTo(req.id)).length, 1, 'the request has exactly one response: the failure notice');
    assert.equal(calls, 2, 'one loop, not four');
  });

  it("answers a seed-style sender that is not an agent name (a reply without 'to', for the relay)", async () => {
    await start('claude');
    const req = await bridge.append({ from: 'kami', type: 'request', content: 'hi', id: 'seed-1' });
    // Rewrite as the seed would have it: a human name in `from`.
    await bridge.append({ from: 'kami', type: 'request', content: 'hi again', id: 'seed-2' });
    const { appendFileSync } = await import('node:fs');
    appendFileSync(config.bridge.path, JSON.stringify({ ts: new Date().toISOString(), from: 'Owner Name"></message>x', type: 'request', id: 'seed-3', content: 'status', status: 'pending' }) + '\n');
    await waitFor(async () => (await responsesTo('seed-3')).length === 1, 'the reply to seed-3');
    const [reply] = await responsesTo('seed-3');
    assert.equal(reply!.to, undefined);
    assert.equal((await bridge.get('seed-3'))?.status, 'done');
    assert.ok(req);
  });

  it('refuses an unknown agent and a health port that is taken, with their codes', async () => {
    await assert.rejects(startAgent({ config, agent: 'nobody', stdout: false }), (e) => isAgentnetError(e, 'AGENT_UNKNOWN'));
    await start('kami');
    await assert.rejects(startAgent({ config, agent: 'kami', stdout: false }), (e) => isAgentnetError(e, 'HEALTH_PORT_IN_USE') && /already running/.test(e.message));
  });
});

/** A network whose orchestrator talks to a fake Anthropic server; `claude` adds lines to its config. */
async function networkWithFakeAnthropic(claude: string, other: string) {
  const { startFakeAnthropic } = await import('../fakes/fake-anthropic.ts');
  const { writeFileSync } = await import('node:fs');
  const fake = await startFakeAnthropic();
  const { dir, cleanup } = tempDir('agentnet-rt-model-');
  const { file, ports } = await writeNetwork(dir);
  writeFileSync(
    file,
    `network: test
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: "\${KEY}", baseUrl: "${fake.url}" }
${claude}
    health: { port: ${ports.claude} }
  ${other}: { role: ${other === 'kami' ? 'relay' : 'autonomous'}, health: { port: ${ports[other as 'kami']} } }
`,
  );
  return { fake, file, cleanup };
}

describe('agent runtime with a real model provider (fake Anthropic server)', () => {
  it('answers with the model and runs the tool calls it makes', async () => {
    const { fake, file, cleanup } = await networkWithFakeAnthropic('    tools: [bridge_send, bridge_reply]', 'kaylee');
    const config = loadConfig(file, { env: { KEY: 'sk-ant-fake-key-0123456789' } }).config;
    const bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
    fake.script(
      { reply: { text: 'On it.', toolUses: [{ id: 'tu_1', name: 'bridge_send', input: { to: 'kaylee', content: 'deploy api to staging' } }] } },
      { reply: { text: 'Asked kaylee to deploy; she will report back.' } },
    );
    const claude = await startAgent({ config, agent: 'claude', stdout: false, secrets: ['sk-ant-fake-key-0123456789'] });
    try {
      const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'please deploy the API to staging' });
      await waitFor(async () => (await bridge.list({ type: 'response' })).some((m) => m.replyTo === req.id), 'the answer');
      const reply = (await bridge.list({ type: 'response' })).find((m) => m.replyTo === req.id)!;
      assert.equal(reply.content, 'Asked kaylee to deploy; she will report back.');
      const toKaylee = await bridge.list({ to: 'kaylee' });
      assert.deepEqual(toKaylee.map((m) => [m.from, m.content]), [['claude', 'deploy api to staging']]);
      // The model saw the chat text as untrusted data, and the tools it was granted.
      const first = fake.requests[0]!.body;
      assert.match(first.messages[0].content, /not instructions[\s\S]*<message from="kami"/);
      assert.deepEqual(first.tools.map((t: { name: string }) => t.name), ['bridge_send', 'bridge_reply']);
      // SDK 1.x sends the key as a bearer token; older ones used x-api-key. Either way: the configured key.
      const h = fake.requests[0]!.headers;
      assert.equal(h['x-api-key'] ?? String(h.authorization).replace(/^Bearer /, ''), 'sk-ant-fake-key-0123456789');
      const metrics = await (await fetch(claude.healthUrl.replace('/health', '/metrics'))).text();
      assert.match(metrics, /agentnet_model_tokens_total\{direction="input",agent="claude",role="orchestrator"\} 50/);
    } finally {
      await claude.stop();
      await bridge.close();
      await fake.close();
      cleanup();
    }
  });
});

describe('agent budget', () => {
  it('stops calling the model when the day budget is spent, says so, and tells the owner once', async () => {
    const { fake, file, cleanup } = await networkWithFakeAnthropic('    budget: { tokensPerDay: 30 }', 'kami');
    const config = loadConfig(file, { env: { KEY: 'k' } }).config;
    const bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
    fake.script({ reply: { text: 'first answer', usage: { input_tokens: 25, output_tokens: 10 } } });
    const claude = await startAgent({ config, agent: 'claude', stdout: false });
    const answerTo = async (content: string) => {
      const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content });
      await waitFor(async () => (await bridge.list({ type: 'response' })).some((m) => m.replyTo === req.id), `the answer to ${content}`);
      return (await bridge.list({ type: 'response' })).find((m) => m.replyTo === req.id)!.content;
    };
    try {
      assert.equal(await answerTo('one'), 'first answer');
      assert.match(await answerTo('two'), /model budget for today is spent \(used 35 of 30 tokens today\)/);
      assert.match(await answerTo('three'), /budget/);
      assert.equal(fake.requests.length, 1, 'no model call once the budget is spent');
      const notices = (await bridge.list({ type: 'notification', to: 'kami' })).map((m) => m.content);
      assert.equal(notices.length, 1, 'the owner is told once');
      assert.match(notices[0]!, /claude stopped using its model for today/);
      const health = (await (await fetch(claude.healthUrl)).json()) as { status: string; problems: string[] };
      assert.equal(health.status, 'degraded');
      assert.ok(health.problems.includes('budget'));
      const usage = JSON.parse(readFileSync(join(config.stateDir, 'agents', 'claude', 'usage.json'), 'utf8'));
      assert.equal(usage.inputTokens + usage.outputTokens, 35);
      assert.ok(usage.costUsd > 0, 'cost estimated from the sonnet list price');
      // A restart the same day remembers the budget and that the owner was told.
      await claude.stop();
      const again = await startAgent({ config, agent: 'claude', stdout: false });
      try {
        assert.match(await answerTo('four'), /budget/);
        assert.equal((await bridge.list({ type: 'notification', to: 'kami' })).length, 1, 'still told once');
        assert.equal(fake.requests.length, 1);
      } finally {
        await again.stop();
      }
    } finally {
      await claude.stop();
      await bridge.close();
      await fake.close();
      cleanup();
    }
  });
});

describe('agent store tools', () => {
  it('lets the model leave context in memory and queue work through its tools', async () => {
    const { fake, file, cleanup } = await networkWithFakeAnthropic('    tools: [memory_set, memory_get, task_enqueue]', 'kaylee');
    const config = loadConfig(file, { env: { KEY: 'k' } }).config;
    const bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
    fake.script(
      { reply: { toolUses: [{ id: 'a', name: 'memory_set', input: { namespace: 'shared', key: 'staging-owner', value: { who: 'kami' } } }] } },
      { reply: { toolUses: [{ id: 'b', name: 'task_enqueue', input: { kind: 'deploy', payload: { env: 'staging' }, idempotency_key: 'deploy-req' } }] } },
      { reply: { text: 'Queued the deploy.' } },
    );
    const claude = await startAgent({ config, agent: 'claude', stdout: false });
    try {
      const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'deploy staging' });
      await waitFor(async () => (await bridge.list({ type: 'response' })).some((m) => m.replyTo === req.id), 'the answer');
      const { openStore } = await import('../../src/store/index.ts');
      const store = await openStore({ backend: 'sqlite', path: config.store.path });
      try {
        const e = await store.memory.get('shared', 'staging-owner');
        assert.deepEqual([e?.value, e?.writtenBy], [{ who: 'kami' }, 'claude']);
        const [task] = await store.queue.list({ kind: 'deploy' });
        assert.deepEqual([task?.payload, task?.idempotencyKey], [{ env: 'staging' }, 'deploy-req']);
      } finally {
        await store.close();
      }
      assert.match(JSON.stringify(fake.requests[2]!.body), /queued task-/);
    } finally {
      await claude.stop();
      await bridge.close();
      await fake.close();
      cleanup();
    }
  });
});
