/**
 * A task the policy gates waits for the owner's yes in the store: a deployment by name, any kind
 * by `approve.tasks`, asked once even when both name it; runs once when approved, never when
 * denied or expired, and waits while paused. A prompt task's gated tool call asks too.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseNetwork, resumeNetwork } from '../../src/agent/pause.ts';
import { startAgent, type RunningAgent } from '../../src/cli/roles.ts';
import { createJsonlBridge, type Bridge } from '../../src/bridge/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createSqliteStore, type Approval, type Store } from '../../src/store/index.ts';
import { slotKey } from '../../src/tasks/index.ts';
import { startFakeAnthropic, type AnthropicReply } from '../fakes/fake-anthropic.ts';
import type { ScriptedServer } from '../fakes/scripted-server.ts';
import { freePort, tempDir, waitFor } from '../helpers/util.ts';

describe('a deploy task under an approval policy', () => {
  let dir: string;
  let cleanup: () => void;
  let config: Config;
  let store: Store;
  let bridge: Bridge;
  let agent: RunningAgent | undefined;
  let fake: ScriptedServer<AnthropicReply>;

  /** kaylee with `approve` as its policy (the deploy test's by default), its model the fake Anthropic API, and a tool that counts its runs. */
  const setUp = async (ttl: string, approve = 'deploy: [production]') => {
    writeFileSync(join(dir, 'count.sh'), '#!/bin/sh\necho "$AGENTNET_TASK_ID" >> runs.txt\necho deployed\n');
    writeFileSync(join(dir, 'tool.sh'), '#!/bin/sh\necho "tool $*" >> runs.txt\necho "tool ran: $*"\n');
    chmodSync(join(dir, 'count.sh'), 0o755);
    chmodSync(join(dir, 'tool.sh'), 0o755);
    writeFileSync(
      join(dir, 'agentnet.yaml'),
      `network: test
bridge: { pollIntervalMs: 100 }
agents:
  kami: { role: relay, health: { port: ${await freePort()} } }
  kaylee:
    role: autonomous
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: test-key, baseUrl: "${fake.url}", maxRetries: 0 }
    health: { port: ${await freePort()} }
    worker: { pollMs: 50 }
    tools: [{ name: run_command, allow: [[./tool.sh]], cwd: "${dir}" }]
    approve: { ${approve}, ttl: ${ttl} }
    deployments:
      production: { command: [./count.sh], cwd: . }
      staging: { command: [./count.sh], cwd: . }
`,
    );
    config = loadConfig(join(dir, 'agentnet.yaml'), { env: {} }).config;
    store = createSqliteStore({ path: config.store.path });
    bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
    agent = await startAgent({ config, agent: 'kaylee', stdout: false });
  };
  const runs = () => (existsSync(join(dir, 'runs.txt')) ? readFileSync(join(dir, 'runs.txt'), 'utf8').trim().split('\n') : []);
  const deploy = async (deployment: string) => (await store.queue.enqueue({ kind: 'deploy', payload: { deployment }, maxAttempts: 1 })).id;
  const asked = async (task: string) => {
    await waitFor(async () => (await store.approvals.list()).some((a) => a.actionKey === `${task}:deploy:production`), 'the approval asked');
    return (await store.approvals.list()).find((a) => a.actionKey === `${task}:deploy:production`) as Approval;
  };
  const report = async (task: string) => {
    await waitFor(async () => (await bridge.list({ type: 'notification' })).some((m) => m.metadata?.task === task), 'the report');
    return (await bridge.list({ type: 'notification' })).filter((m) => m.metadata?.task === task);
  };

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-gate-'));
    fake = await startFakeAnthropic();
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await store.close();
    await bridge.close();
    await fake.close();
    cleanup();
  });

  it('asks once and does not run while pending; approved, it runs once and the approval records it', async () => {
    await setUp('1m');
    const staging = await deploy('staging');
    const slot = new Date('2026-12-04T09:00:00.000Z');
    const t = (await store.queue.enqueue({ kind: 'deploy', payload: { deployment: 'production' }, maxAttempts: 1, idempotencyKey: slotKey('kaylee', 'deploy-prod', slot) })).id;
    const a = await asked(t);
    assert.equal(a.status, 'pending');
    assert.deepEqual(a.action, { kind: 'deploy', name: 'production' });
    assert.equal(a.reason, `schedule "deploy-prod" (due 2026-12-04T09:00:00.000Z), task ${t}`);
    await sleep(500);
    assert.deepEqual(runs(), [staging], 'staging needs no yes; production waits');
    const waiting = (await store.queue.get(t))!;
    assert.equal(waiting.state, 'queued', 'waiting is not running, failing or dead');
    assert.equal(waiting.attempts, 0);
    assert.equal((await store.approvals.list({ all: true })).length, 1, 'asked once, however often re-checked');

    assert.equal((await store.approvals.decide({ code: a.code, decision: 'approve', by: 'terminal', channel: 'terminal' })).outcome, 'decided');
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the deployment done');
    assert.deepEqual(runs(), [staging, t]);
    const ran = (await store.approvals.get(a.id))!;
    assert.ok(ran.ranAt, 'recorded as run');
    const [r] = await report(t);
    assert.match(r!.content, /^✅ deploy: deployment "production" succeeded/);
    await sleep(300);
    assert.deepEqual(runs(), [staging, t], 'once');
  });

  it('denied: never runs, and ends with an explicit not-run outcome that is not a failure', async () => {
    await setUp('1m');
    const t = await deploy('production');
    const a = await asked(t);
    await store.approvals.decide({ code: a.code, decision: 'deny', by: '972500000000@c.us', channel: 'whatsapp' });
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the task ended');
    const [r] = await report(t);
    assert.equal(r!.content, `⛔ deploy: deploy production not run: denied by 972500000000@c.us (whatsapp) (task ${t})`);
    assert.equal(r!.metadata?.outcome, 'not-run');
    assert.deepEqual(runs(), []);
  });

  it('silence: expires, never runs', async () => {
    await setUp('1s');
    const t = await deploy('production');
    await asked(t);
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the task ended', 10_000);
    const [r] = await report(t);
    assert.match(r!.content, /^⛔ deploy: deploy production not run: approval \d{4} expired at /);
    assert.deepEqual(runs(), []);
  });

  it('approved while paused: waits for resume, then runs once', async () => {
    await setUp('1m');
    const t = await deploy('production');
    const a = await asked(t);
    pauseNetwork(join(dir, '.agentnet'), { reason: 'test' });
    await sleep(300);
    await store.approvals.decide({ code: a.code, decision: 'approve', by: 'terminal', channel: 'terminal' });
    await sleep(3000); // past the re-check
    assert.deepEqual(runs(), [], 'paused: the approved deployment waits');
    resumeNetwork(join(dir, '.agentnet'));
    await waitFor(async () => (await store.queue.get(t))?.state === 'done', 'the deployment after resume');
    assert.deepEqual(runs(), [t]);
  });

  /** The approval asked for `task` (its key starts with the task's id). */
  const askedFor = async (task: string) => {
    await waitFor(async () => (await store.approvals.list({ all: true })).some((a) => a.actionKey.startsWith(`${task}:`)), 'the approval asked');
    return (await store.approvals.list({ all: true })).filter((a) => a.actionKey.startsWith(`${task}:`));
  };
  const prompt = async (text: string) => (await store.queue.enqueue({ kind: 'prompt', payload: { prompt: text }, maxAttempts: 1 })).id;

  it('approve.tasks: a task of the kind asks once and its model is not called while pending; approved, it runs once', async () => {
    await setUp('1m', 'tasks: [prompt]');
    fake.script({ reply: { text: 'the disks are fine' } });
    const t = await prompt('check the disks');
    const [a, ...more] = await askedFor(t);
    assert.equal(more.length, 0);
    assert.deepEqual([a!.action, a!.actionKey, a!.reason], [{ kind: 'task', name: 'prompt', args: { prompt: 'check the disks' } }, `${t}:task:prompt`, `task ${t} (prompt)`]);
    await sleep(500); // several claims and re-checks
    assert.equal(fake.requests.length, 0, 'not run while it waits');
    assert.deepEqual([(await store.queue.get(t))?.state, (await store.queue.get(t))?.attempts], ['queued', 0]);
    await store.approvals.decide({ code: a!.code, decision: 'approve', by: 'terminal', channel: 'terminal' });
    const [r] = await report(t);
    assert.match(r!.content, /^✅ prompt: prompt task: 1 model call\(s\), 0 tool call\(s\)/);
    assert.equal(fake.requests.length, 1, 'run once');
    assert.ok((await store.approvals.get(a!.id))?.ranAt, 'recorded as run');
    assert.equal((await store.approvals.list({ all: true })).length, 1, 'asked once');
  });

  it('approve.tasks: denied, the task ends not run and its model is never called', async () => {
    await setUp('1m', 'tasks: ["*"]');
    const t = await prompt('check the disks');
    const [a] = await askedFor(t);
    await store.approvals.decide({ code: a!.code, decision: 'deny', by: 'terminal', channel: 'terminal' });
    const [r] = await report(t);
    assert.equal(r!.content, `⛔ prompt: task prompt {"prompt":"check the disks"} not run: denied by terminal (terminal) (task ${t})`);
    assert.equal(r!.metadata?.outcome, 'not-run');
    assert.equal(fake.requests.length, 0);
  });

  it('a deploy task named by both approve.tasks and approve.deploy asks once, about the deployment; one named by approve.tasks alone asks about the task', async () => {
    await setUp('1m', 'tasks: [deploy], deploy: [production]');
    const production = await deploy('production');
    const staging = await deploy('staging');
    const [p, ...moreP] = await askedFor(production);
    const [s, ...moreS] = await askedFor(staging);
    assert.deepEqual([moreP.length, moreS.length], [0, 0], 'one approval per task');
    assert.deepEqual([p!.action, p!.actionKey], [{ kind: 'deploy', name: 'production' }, `${production}:deploy:production`]);
    assert.deepEqual([s!.action, s!.actionKey], [{ kind: 'task', name: 'deploy', args: { deployment: 'staging' } }, `${staging}:task:deploy`]);
    for (const a of [s!, p!]) await store.approvals.decide({ code: a.code, decision: 'approve', by: 'terminal', channel: 'terminal' });
    await waitFor(async () => (await store.queue.get(production))?.state === 'done' && (await store.queue.get(staging))?.state === 'done', 'both deployments');
    await sleep(300);
    assert.deepEqual(runs().sort(), [production, staging].sort(), 'each once');
    assert.equal((await store.approvals.list({ all: true })).length, 2);
  });

  it("a prompt task's tool call the policy names asks for the task, runs once when approved, and the model reads what it did", async () => {
    await setUp('1m', 'run_command: [[./tool.sh, restart]]');
    fake.script(
      { reply: { toolUses: [{ id: 'tu1', name: 'run_command', input: { argv: ['./tool.sh', 'status'] } }, { id: 'tu2', name: 'run_command', input: { argv: ['./tool.sh', 'restart', 'nginx'] } }] } },
      { reply: { text: 'restarted nginx' } },
    );
    const t = await prompt('restart nginx if it is down');
    const [a] = await askedFor(t);
    assert.deepEqual(a!.action, { kind: 'run_command', name: './tool.sh', args: ['restart', 'nginx'] });
    assert.equal(a!.reason, `task ${t} (prompt): "restart nginx if it is down"`);
    assert.match(a!.actionKey, new RegExp(`^${t}:run_command:[0-9a-f]{16}$`));
    await waitFor(() => runs().length === 1, 'the ungated call');
    assert.deepEqual(runs(), ['tool status'], 'the ungated call ran; the gated one waits');
    await store.approvals.decide({ code: a!.code, decision: 'approve', by: 'terminal', channel: 'terminal' });
    const [r] = await report(t);
    assert.match(r!.content, /^✅ prompt: prompt task: 2 model call\(s\), 2 tool call\(s\)/);
    assert.deepEqual(runs(), ['tool status', 'tool restart nginx']);
    const results = fake.requests[1]!.body.messages.at(-1).content as Array<{ tool_use_id: string; content: string }>;
    assert.match(results.find((c) => c.tool_use_id === 'tu2')!.content, new RegExp(`^approved by terminal \\(approval ${a!.code}\\); it ran:\nexit 0\n--- stdout\ntool ran: restart nginx`));
  });
});
