/**
 * Traces through real processes: a WhatsApp message through the fake Green API to the relay, the
 * orchestrator (offline, on the fake Anthropic or OpenAI-compatible API, or the real Claude Code CLI
 * headless) answering over the bridge, the reply sent
 * and reported delivered and read; `agentnet trace` shows every hop in order with its time, where
 * a request whose agent is down stopped, the same trace after a restart, and a seed writer's
 * line given a trace by the first agent that takes it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildTimeline, type Timeline } from '../../src/agent/timeline.ts';
import { createJsonlBridge, traceIdFrom, type Bridge } from '../../src/bridge/index.ts';
import { createSqliteStore, type Store, type TraceHop } from '../../src/store/index.ts';
import { startFakeAnthropic, type AnthropicReply } from '../fakes/fake-anthropic.ts';
import { isMainLoop, startFakeClaudeApi } from '../fakes/fake-claude-api.ts';
import { startFakeOpenAI } from '../fakes/fake-openai.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import type { ScriptedServer } from '../fakes/scripted-server.ts';
import { ensureRealClaude, realClaudeEnv } from '../helpers/real-claude.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;
const KEY = 'sk-ant-fake-key-0123456789';

describe('traces (real processes)', () => {
  let dir: string;
  let cleanup: () => void;
  let procs: ChildProcess[];
  let ports: Record<string, number>;
  let green: FakeGreenApi;
  let anthropic: ScriptedServer<AnthropicReply>;
  let bridge: Bridge;
  let store: Store;

  /** claude and kami (each offline unless given a model: on the fake Anthropic API, or claude's as its YAML), and kaylee with `kaylee`'s keys. */
  const network = async (o: { claude?: 'anthropic' | { model: string }; kami?: string; kaylee?: string } = {}) => {
    ports = { claude: await freePort(), kami: await freePort(), kaylee: await freePort() };
    const model = typeof o.claude === 'object' ? `model: ${o.claude.model}` : `model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: "\${KEY}", baseUrl: "${anthropic.url}", maxRetries: 0 }`;
    writeFileSync(
      join(dir, 'agentnet.yaml'),
      `network: test
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    health: { port: ${ports.claude} }
${o.claude ? `    ${model}\n` : ''}  kami:
    role: relay
    health: { port: ${ports.kami} }
    channel:
      type: whatsapp
      apiUrl: ${green.url}
      idInstance: "${green.idInstance}"
      apiToken: ${green.apiToken}
      receiveTimeoutS: 5
      owners: ["+${OWNER}"]
      pace: { perChatMs: 0, perInstanceMs: 0 }
${o.kami ?? ''}
${o.kaylee === undefined ? '' : `  kaylee:\n    role: autonomous\n    health: { port: ${ports.kaylee} }\n${o.kaylee}\n`}`,
    );
    bridge = createJsonlBridge({ path: join(dir, '.agentnet', 'bridge', 'messages.jsonl'), pollIntervalMs: 100 });
    store = createSqliteStore({ path: join(dir, '.agentnet', 'store.db') });
  };
  const run = async (agent: string, env: NodeJS.ProcessEnv = process.env) => {
    const p = spawnNode([BIN, 'run', agent, '--quiet'], { cwd: dir, env: { ...env, KEY } });
    p.stdout!.resume();
    procs.push(p);
    await waitHealthy(ports[agent]!, agent, p);
    p.stderr!.resume();
    return p;
  };
  /** `agentnet trace ID --json`, parsed. */
  const traceJson = async (id: string): Promise<Timeline> => {
    const r = await agentnet(['trace', id, '--json'], { cwd: dir, env: { ...process.env, KEY } });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Timeline;
  };
  /** The hops recorded for the message with ledger key `key`, once `until` holds for them. */
  const hopsOf = async (key: string, until: (hops: TraceHop[]) => boolean, what: string) => {
    let hops: TraceHop[] = [];
    await waitFor(async () => {
      const trace = await store.traces.traceOf(key);
      hops = trace ? await store.traces.hops(trace) : [];
      return until(hops);
    }, what, 30_000);
    return hops;
  };
  const has = (name: string, match: (h: TraceHop) => boolean = () => true) => (hops: TraceHop[]) => hops.some((h) => h.hop === name && match(h));
  const keyOf = (idMessage: string) => `${OWNER_CHAT}_${idMessage}`;
  /**
   * One WhatsApp message to its answer `reply` on the phone: `agentnet trace <inbound id> --json`
   * is complete and has every hop in order, received to delivered and read, claude's model call
   * among them; returns claude's model-finished hop.
   */
  const answeredTrace = async (reply: string) => {
    const key = keyOf(green.incoming({ from: OWNER, text: 'Check the servers please' }));
    await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message === reply, 120_000);
    const byClaude = (name: string) => has(name, (x) => x.agent === 'claude');
    await hopsOf(key, (h) => h.filter((x) => x.hop === 'read').length === 2 && byClaude('claimed')(h) && byClaude('model-finished')(h) && byClaude('answered')(h), "the answer read, and claude's hops written");
    const t = await traceJson(key);
    assert.equal(t.complete, true, JSON.stringify(t.open));
    const request = t.hops.find((h) => h.hop === 'escalated')!;
    const response = t.hops.find((h) => h.hop === 'answered')!;
    const answerSent = t.hops.find((h) => h.hop === 'sent' && String(h.detail?.key).startsWith('bridge:'))!;
    assert.ok(request && response && answerSent, t.hops.map((h) => h.hop).join(', '));
    const chain: Array<[string, (h: TraceHop) => boolean]> = [
      ['received', (h) => h.ref === key && h.agent === 'kami'],
      ['recorded', (h) => h.ref === key],
      ['escalated', (h) => h.detail?.to === 'claude'],
      ['claimed', (h) => h.ref === request.ref && h.agent === 'claude'],
      ['model-started', (h) => h.agent === 'claude'],
      ['model-finished', (h) => h.agent === 'claude'],
      ['answered', (h) => h.detail?.replyTo === request.ref && h.detail?.to === 'kami'],
      ['claimed', (h) => h.ref === response.ref && h.agent === 'kami'],
      ['queued', (h) => h.ref.startsWith(`bridge:${response.ref}:`)],
      ['sent', (h) => h === answerSent],
      ['delivered', (h) => h.ref === answerSent.ref],
      ['read', (h) => h.ref === answerSent.ref],
    ];
    let last = -1;
    for (const [name, match] of chain) {
      const i = t.hops.findIndex((h, k) => k > last && h.hop === name && match(h));
      assert.ok(i > last, `${name} after the hop before it: ${t.hops.map((h) => `${h.hop}:${h.agent}:${h.ref}`).join(', ')}`);
      assert.ok(last < 0 || t.hops[i]!.at >= t.hops[last]!.at, `${name} is not earlier than the hop before`);
      last = i;
    }
    assert.equal((await traceJson(response.ref)).trace, t.trace, 'the answer finds the same trace');
    const started = t.hops.filter((h) => h.hop === 'model-started' && h.agent === 'claude').map((h) => h.ref);
    const finished = t.hops.filter((h) => h.hop === 'model-finished' && h.agent === 'claude');
    assert.deepEqual(finished.map((h) => h.ref), started, 'each model call started has finished');
    return finished;
  };

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-trace-e2e-'));
    procs = [];
    green = await startFakeGreenApi({ statusNotifications: ['sent', 'delivered', 'read'] });
    anthropic = await startFakeAnthropic();
  });
  afterEach(async () => {
    for (const p of procs) await stopProcess(p, 'SIGKILL');
    await green.close();
    await anthropic.close();
    await bridge?.close();
    await store?.close();
    cleanup();
  });

  it('a WhatsApp message answered offline: every hop in order, with its time, to delivered and read; any id of the chain finds it; /metrics times it', async () => {
    await network();
    await run('claude');
    await run('kami');
    const key = keyOf(green.incoming({ from: OWNER, text: 'Check the servers please' }));
    await green.waitForSent((m) => m.chatId === OWNER_CHAT && /Check the servers please/.test(m.message), 20_000);
    // Each process writes its hops in its own batch, shortly after: claude's may land after kami's last.
    const byClaude = (name: string) => has(name, (x) => x.agent === 'claude');
    const stored = await hopsOf(key, (h) => h.filter((x) => x.hop === 'read').length === 2 && byClaude('claimed')(h) && byClaude('model-finished')(h), 'the acknowledgement and the answer reported read, and claude\'s hops written');
    // In the timeline's order: by time, hops of one millisecond in the order a request passes them.
    const hops: TraceHop[] = buildTimeline(stored[0]!.trace, stored, new Set(['claude', 'kami'])).hops;

    // The chain, in the order it happened: each hop after the one before, in time too.
    const request = hops.find((h) => h.hop === 'escalated')!;
    const response = hops.find((h) => h.hop === 'answered')!;
    const answerSent = hops.find((h) => h.hop === 'sent' && String(h.detail?.key).startsWith('bridge:'))!;
    const chain: Array<[string, (h: TraceHop) => boolean]> = [
      ['received', (h) => h.ref === key && h.agent === 'kami'],
      ['recorded', (h) => h.ref === key],
      ['acknowledged', (h) => h.ref === `ack:${key}`],
      ['escalated', (h) => h.detail?.to === 'claude'],
      ['claimed', (h) => h.ref === request.ref && h.agent === 'claude'],
      ['model-started', (h) => h.agent === 'claude'],
      ['model-finished', (h) => h.agent === 'claude' && h.detail?.model === 'offline'],
      ['answered', (h) => h.detail?.replyTo === request.ref && h.detail?.to === 'kami'],
      ['claimed', (h) => h.ref === response.ref && h.agent === 'kami'],
      ['queued', (h) => h.ref.startsWith(`bridge:${response.ref}:`)],
      ['sent', (h) => h === answerSent],
      ['delivered', (h) => h.ref === answerSent.ref],
      ['read', (h) => h.ref === answerSent.ref],
    ];
    let last = -1;
    for (const [name, match] of chain) {
      const i = hops.findIndex((h) => h.hop === name && match(h));
      assert.ok(i > last, `${name} after the hop before it: ${hops.map((h) => `${h.hop}:${h.ref}`).join(', ')}`);
      assert.ok(hops[i]!.at >= hops[last]?.at! || last < 0, `${name} is not earlier than the hop before`);
      last = i;
    }
    assert.ok(has('sent', (h) => h.detail?.key === `ack:${key}`)(hops), 'the acknowledgement was sent too');
    assert.ok(has('handled', (h) => h.ref === key)(hops));

    // The same timeline from the inbound ledger key, the request, the response and the provider's id.
    const t = await traceJson(key);
    assert.equal(t.complete, true, JSON.stringify(t.open));
    assert.equal(t.hops.length, hops.length);
    for (const id of [request.ref, response.ref, answerSent.ref, t.trace]) assert.equal((await traceJson(id)).trace, t.trace, id);
    const req = await bridge.get(request.ref);
    assert.equal(req?.metadata?.trace, t.trace, 'the escalation carries the trace');
    assert.equal((await bridge.get(response.ref))?.metadata?.trace, t.trace, 'and so does the answer');
    const text = await agentnet(['trace', key], { cwd: dir, env: { ...process.env, KEY } });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^trace ${t.trace} \\(\\d{4}-\\d\\d-\\d\\d\\): complete, `));
    const order = chain.map(([n]) => text.stdout.split('\n').findIndex((l, i) => i > 1 && new RegExp(`\\s${n}\\s`).test(l)));
    assert.ok(order.every((i) => i > 0), text.stdout);
    assert.match(text.stdout, /model-finished\s+claude\s+\S+#1\s+model=offline inputTokens=0 outputTokens=0 ms=\d+/);

    // /metrics: the reply end to end, the relay's acknowledgement, the wait on the bridge, the model, the send.
    const kami = await (await fetch(`http://127.0.0.1:${ports.kami}/metrics`)).text();
    const claude = await (await fetch(`http://127.0.0.1:${ports.claude}/metrics`)).text();
    /** The value of one series, its labels in any order. */
    const value = (text: string, name: string, labels: Record<string, string>) =>
      text.split('\n').filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))).map((l) => Number(l.split(' ').pop()));
    assert.deepEqual(value(kami, 'agentnet_reply_seconds_count', { agent: 'kami' }), [1], 'one owner message answered');
    assert.deepEqual(value(kami, 'agentnet_hop_seconds_count', { hop: 'relay_ack' }), [1]);
    assert.deepEqual(value(kami, 'agentnet_hop_seconds_count', { hop: 'send' }), [2], 'the acknowledgement and the answer');
    assert.deepEqual(value(kami, 'agentnet_hop_seconds_count', { hop: 'bridge_wait' }), [1], 'the response');
    assert.deepEqual(value(claude, 'agentnet_hop_seconds_count', { hop: 'model', agent: 'claude' }), [1]);
    assert.deepEqual(value(claude, 'agentnet_hop_seconds_bucket', { hop: 'bridge_wait', le: '+Inf' }), [1]);
    assert.ok(value(kami, 'agentnet_reply_seconds_sum', {})[0]! >= value(kami, 'agentnet_hop_seconds_sum', { hop: 'relay_ack' })[0]!, 'the answer came after the acknowledgement');
    for (const metrics of [kami, claude]) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      assert.equal(check.error, undefined, 'promtool is needed: apt-get install prometheus');
      assert.equal(check.status, 0, check.stderr + check.stdout);
    }

    // A seed writer's line, without a trace: claude gives it the one its id derives, and its answer carries it.
    appendFileSync(join(dir, '.agentnet', 'bridge', 'messages.jsonl'), `${JSON.stringify({ ts: new Date().toISOString(), from: 'seed-writer', type: 'request', id: 'seed-writer-1', content: 'hello from the seed', status: 'pending' })}\n`);
    await waitFor(async () => (await bridge.answerOf('seed-writer-1')) !== undefined, 'claude to answer the seed line');
    const seedTrace = traceIdFrom('message:seed-writer-1');
    assert.equal((await bridge.answerOf('seed-writer-1'))?.metadata?.trace, seedTrace);
    await waitFor(async () => (await store.traces.hops(seedTrace)).some((h) => h.hop === 'answered'), 'the answer in the trace');
    const seed = await traceJson('seed-writer-1');
    assert.equal(seed.trace, seedTrace);
    assert.deepEqual(seed.hops.slice(0, 2).map((h) => [h.hop, h.agent]), [['requested', 'seed-writer'], ['claimed', 'claude']]);
  });

  it('the orchestrator down: the trace says where it stopped; started later (and the relay restarted), the same trace ends, with the model\'s tokens', async () => {
    await network({ claude: 'anthropic' });
    anthropic.script({ reply: { text: 'All 3 servers are healthy.' } });
    let kami = await run('kami');
    const key = keyOf(green.incoming({ from: OWNER, text: 'Check the servers please' }));
    await hopsOf(key, has('sent'), 'the acknowledgement sent');
    const stopped = await agentnet(['trace', key], { cwd: dir, env: { ...process.env, KEY } });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /: stopped, /);
    assert.match(stopped.stdout, /\nstopped: request kami-\S+ waits for claude to take it \(is claude running\? agentnet status\), for \d/);
    const before = await traceJson(key);
    assert.equal(before.complete, false);
    assert.equal(before.stopped?.hop, 'escalated');

    await stopProcess(kami, 'SIGKILL');
    kami = await run('kami');
    await run('claude');
    await green.waitForSent((m) => m.message === 'All 3 servers are healthy.', 20_000);
    const hops = await hopsOf(key, (h) => h.filter((x) => x.hop === 'read').length === 2 && has('claimed', (x) => x.agent === 'claude')(h) && has('model-finished')(h), "the answer read, and claude's hops written");
    const after = await traceJson(key);
    assert.equal(after.trace, before.trace, 'the restart kept the trace');
    assert.equal(after.complete, true, JSON.stringify(after.open));
    const model = hops.find((h) => h.hop === 'model-finished')!;
    assert.deepEqual([model.agent, model.detail?.model, model.detail?.inputTokens, model.detail?.outputTokens], ['claude', 'anthropic:claude-sonnet-4-6', 25, 10]);
    const claimed = hops.find((h) => h.hop === 'claimed' && h.agent === 'claude')!;
    const escalated = hops.find((h) => h.hop === 'escalated')!;
    assert.ok(claimed.at - escalated.at > 0, 'the wait for claude is in the timeline');
  });

  it('the relay killed while its own model answers: handled again after the restart, in the same trace, to its end', async () => {
    await network({ kami: `    model: { provider: anthropic, name: claude-haiku-4-5, apiKey: "\${KEY}", baseUrl: "${anthropic.url}", maxRetries: 0 }\n    relay: { ackAfterMs: 60000 }` });
    anthropic.script({ delayMs: 30_000, then: { reply: { text: 'never delivered' } } }, { reply: { text: 'The answer is 42.' } });
    let kami = await run('kami');
    const key = keyOf(green.incoming({ from: OWNER, text: 'What is the answer?' }));
    const first = await hopsOf(key, has('model-started'), "kami's model call recorded");
    await waitFor(() => anthropic.requests.length === 1, "kami's model asked");
    await stopProcess(kami, 'SIGKILL');
    kami = await run('kami');
    await green.waitForSent((m) => m.message === 'The answer is 42.', 20_000);
    const hops = await hopsOf(key, has('read'), 'the answer read');
    assert.equal(hops[0]!.trace, first[0]!.trace);
    assert.equal(hops[0]!.trace, traceIdFrom(`inbound:kami:${key}`), 'derived from the ledger key: any restart gives the same');
    const t = await traceJson(key);
    assert.equal(t.complete, true, JSON.stringify(t.open));
    assert.deepEqual(t.hops.filter((h) => h.hop === 'received').length, 1, 'received once: the restart handled the recorded message, the provider did not deliver it again');
    assert.ok(t.hops.some((h) => h.hop === 'model-finished' && h.agent === 'kami' && h.detail?.model === 'anthropic:claude-haiku-4-5'));
    assert.deepEqual(t.hops.filter((h) => h.hop === 'queued').map((h) => h.ref), [`answer:${key}`]);
  });

  it('the orchestrator on an OpenAI-compatible API: every hop in order to delivered, the model call with its tokens', async () => {
    const openai = await startFakeOpenAI();
    try {
      openai.script({ reply: { text: 'All 3 servers are healthy (openai).', usage: { prompt_tokens: 31, completion_tokens: 7 } } });
      await network({ claude: { model: `{ provider: openai, name: gpt-4o, apiKey: "\${KEY}", baseUrl: "${openai.url}/v1", maxRetries: 0 }` } });
      await run('claude');
      await run('kami');
      const [model, ...more] = await answeredTrace('All 3 servers are healthy (openai).');
      assert.equal(more.length, 0, 'one model call');
      assert.deepEqual([model!.detail?.model, model!.detail?.inputTokens, model!.detail?.outputTokens], ['openai:gpt-4o', 31, 7]);
      assert.equal(openai.requests.length, 1);
    } finally {
      await openai.close();
    }
  });

  it('the orchestrator answering with the real Claude Code CLI (headless): the trace is complete, the run with its tokens and cost', async () => {
    const bin = await ensureRealClaude();
    const api = await startFakeClaudeApi((body) => (isMainLoop(body) ? { text: 'All 3 servers are healthy (claude-code).' } : { text: 'side request' }));
    try {
      await network({ claude: { model: `{ provider: claude-code, command: ${bin}, maxTurns: 3, timeoutMs: 120000 }` } });
      await run('claude', realClaudeEnv(api.url, join(dir, 'home')));
      await run('kami');
      const [model, ...more] = await answeredTrace('All 3 servers are healthy (claude-code).');
      assert.equal(more.length, 0, 'one headless run');
      assert.equal(model!.detail?.model, 'claude-code');
      assert.ok(Number(model!.detail?.inputTokens) > 0 && Number(model!.detail?.outputTokens) > 0, JSON.stringify(model!.detail));
      assert.equal(typeof model!.detail?.costUsd, 'number', `the cost the CLI reported: ${JSON.stringify(model!.detail)}`);
    } finally {
      await api.close();
    }
  });

  it("a schedule's task starts its own trace, through the worker and its report to the owner's phone", async () => {
    await network({ kaylee: `    worker: { pollMs: 100 }\n    schedules:\n      - { name: rotate, cron: "* * * * * *", task: rotate-bridge, payload: { notify: [owner] } }` });
    await run('kami');
    await run('kaylee');
    let task: string | undefined;
    await waitFor(async () => (task = (await store.queue.list({ kind: 'rotate-bridge', state: 'done' }))[0]?.id) !== undefined, 'a scheduled task done');
    await waitFor(async () => {
      const trace = await store.traces.traceOf(task!);
      return trace !== undefined && (await store.traces.hops(trace)).some((h) => h.hop === 'read');
    }, 'its report read on the phone', 30_000);
    const t = await traceJson(task!);
    assert.equal(t.trace, traceIdFrom(`task:${task}`), "a schedule's task: the trace its id gives");
    assert.equal(t.complete, true, JSON.stringify(t.open));
    const names = t.hops.map((h) => `${h.hop}:${h.agent}`);
    const order = ['task-enqueued:kaylee', 'task-started:kaylee', 'task-finished:kaylee', 'notified:kaylee', 'claimed:kami', 'queued:kami', 'sent:kami', 'delivered:kami', 'read:kami'].map((n) => names.indexOf(n));
    assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)), names.join(', '));
    const report = (await bridge.list({ type: 'notification', from: 'kaylee' })).find((m) => m.metadata?.task === task);
    assert.equal(report?.metadata?.trace, t.trace, 'the report carries the task\'s trace');
  });
});
