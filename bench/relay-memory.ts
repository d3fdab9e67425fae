/**
 * Does the relay's memory stay flat under traffic (issue 16, defect 5)? The relay (kami,
 * WhatsApp through the fake Green API) and the orchestrator (claude, offline model) run as real
 * processes, started as `agentnet up` starts them. The owner is not connected: the instance is
 * `notAuthorized` and every sendMessage answers 400, as Green API does then, so every
 * acknowledgement and every answer waits in the relay's ledger. Rounds of WhatsApp messages from
 * the owner arrive at a fixed rate; each is recorded, acknowledged (queued), escalated over the
 * bridge, answered by the orchestrator, and the answer queued for the owner.
 *
 * Prints each agent's RSS and V8 heap (from /metrics) after warm-up and after each round, the CPU
 * time each agent spent per owner message in the round (from /metrics: robust to other load on
 * the machine, unlike wall times), and the relay's time per response: from the runtime taking the
 * response off the bridge to the role having queued it ("took message" → "queued for the owner"
 * in its log). A round that takes longer than count / rate means the relay fell behind.
 *
 *   node bench/relay-memory.ts [--rounds 3] [--count 1000] [--rate 100] [--warmup 200]
 *                              [--snapshots DIR] [--node-flags="--max-old-space-size=64"] [--keep] [--no-gc] [--rotate]
 *
 * Before each reading both agents are asked for a full GC through the inspector (`--no-gc` to read
 * them as they are), so the heap figures are the live heap, not what the collector has not reached.
 * --rotate: after each round, `agentnet bridge rotate --days 0` (what the autonomous agent does
 * weekly): every done message moves to the archive, so the bridge's index of the live file, which
 * grows with it by design, starts again; without it that index is part of what grows.
 * --snapshots DIR: both agents run with --heapsnapshot-signal=SIGUSR2 and a heap snapshot of
 * each is taken after warm-up and after each round; compare two with `node bench/heap-diff.ts A B`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { AGENT_NODE_FLAGS } from '../src/ops/supervisor.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../test/fakes/fake-green-api.ts';
import { BENCH_DIR, ms, scratch, summarize } from './lib/util.ts';

const BIN = join(BENCH_DIR, '..', 'bin', 'agentnet.js');
const OWNER = '972501234567';
const MiB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    count: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '200' },
    snapshots: { type: 'string' },
    'node-flags': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    gc: { type: 'boolean', default: true },
    rotate: { type: 'boolean', default: false },
  },
  allowNegative: true,
});
const rounds = Number(values.rounds);
const count = Number(values.count);
const rate = Number(values.rate);
const warmup = Number(values.warmup);
const extraFlags = values['node-flags']!.split(/\s+/).filter(Boolean);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Every sendMessage answers 400 while the instance is not authorized, as Green API does. */
function ownerNotConnected(fake: FakeGreenApi): () => void {
  fake.state = 'notAuthorized';
  let armed = 0;
  // The fake takes faults one request at a time: keep a few armed for sendMessage (the outbox
  // backs off, so it calls rarely), and forget the request log the fake keeps.
  const timer = setInterval(() => {
    const sends = fake.calls.filter((c) => c.method === 'sendmessage').length;
    armed -= sends;
    fake.calls.length = 0;
    if (armed < 20) {
      fake.fail(400, 50 - armed, 'sendMessage');
      armed = 50;
    }
  }, 50);
  fake.fail(400, 50, 'sendMessage');
  armed = 50;
  return () => clearInterval(timer);
}

/** A full GC in the agent, through its inspector (HeapProfiler.collectGarbage over the DevTools protocol). */
async function collectGarbage(inspectPort: number): Promise<void> {
  const [target] = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const ws = new WebSocket(target!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const done = new Promise<void>((resolve) => (ws.onmessage = (e) => (JSON.parse(String(e.data)).id === 1 ? resolve() : undefined)));
  ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  await done;
  ws.close();
}

interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** CPU seconds (user + system) since the process started. */
  cpu: number;
}

async function metrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line) continue;
    const m = /^(\S+?)(\{.*\})?\s+(\S+)$/.exec(line);
    if (m) out.set(m[1]! + (m[2]?.includes('type="response"') ? ':response' : ''), Number(m[3]));
  }
  return out;
}

async function memory(port: number): Promise<Memory> {
  const m = await metrics(port);
  return {
    rss: m.get('agentnet_process_resident_memory_bytes')! / MiB,
    heapUsed: m.get('agentnet_nodejs_heap_size_used_bytes')! / MiB,
    heapTotal: m.get('agentnet_nodejs_heap_size_total_bytes')! / MiB,
    external: m.get('agentnet_nodejs_external_memory_bytes')! / MiB,
    cpu: m.get('agentnet_process_cpu_seconds_total')!,
  };
}

const responsesHandled = async (port: number) => (await metrics(port)).get('agentnet_messages_processed_total:response') ?? 0;

async function waitHealthy(port: number) {
  for (;;) {
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
}

/** Sends `n` owner messages at `rate`/s, paced against the clock (a slow tick does not lower the rate). */
async function drive(fake: FakeGreenApi, n: number, perSecond: number, tag: string) {
  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    fake.incoming({ from: OWNER, text: `${tag} request ${i}: how is the server?` });
  }
}

async function untilHandled(port: number, total: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while ((await responsesHandled(port)) < total) {
    if (Date.now() > deadline) throw new Error(`the relay handled ${await responsesHandled(port)} of ${total} responses in ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** What the autonomous agent runs weekly, with every done message old enough. */
async function rotate(config: string) {
  const p = spawn(process.execPath, [BIN, 'bridge', 'rotate', '--days', '0', '-c', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise((r) => p.once('exit', r));
  if (code !== 0) throw new Error(`agentnet bridge rotate exited ${code}`);
}

/** Asks the relay for a heap snapshot and waits until the file is written. */
async function snapshot(child: ChildProcess, cwd: string, dest: string, name: string) {
  const before = new Set(readdirSync(cwd).filter((f) => f.endsWith('.heapsnapshot')));
  child.kill('SIGUSR2');
  let file: string | undefined;
  let lastSize = -1;
  for (;;) {
    await sleep(250);
    file ??= readdirSync(cwd).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = statSync(join(cwd, file)).size;
    // The file is complete when it ends with the JSON's closing brace and stops growing.
    if (size === lastSize && size > 0 && readFileSync(join(cwd, file)).subarray(-2).toString().includes('}')) break;
    lastSize = size;
  }
  mkdirSync(dest, { recursive: true });
  copyFileSync(join(cwd, file), join(dest, `${name}.heapsnapshot`));
  rmSync(join(cwd, file));
}

/** Per-response handling time in the relay, from its log: "took message" → "queued for the owner". */
function handlingTimes(logFile: string, since: number) {
  const took = new Map<string, number>();
  const spans: number[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { ts: string; event: string; id?: string; type?: string };
    const t = Date.parse(r.ts);
    if (t < since) continue;
    if (r.event === 'took message' && r.type === 'response' && r.id) took.set(r.id, t);
    else if (r.event === 'queued for the owner' && r.type === 'response' && r.id && took.has(r.id)) {
      spans.push(t - took.get(r.id)!);
    }
  }
  return { spans: summarize(spans), mean: spans.reduce((a, b) => a + b, 0) / Math.max(1, spans.length) };
}

const s = scratch('relay-memory');
const fake = await startFakeGreenApi();
const stopFaults = ownerNotConnected(fake);
const procs: ChildProcess[] = [];
try {
  const ports = { claude: await freePort(), kami: await freePort() };
  const inspect = { claude: await freePort(), kami: await freePort() };
  const config = join(s.dir, 'agentnet.yaml');
  writeFileSync(
    config,
    `network: bench
agents:
  claude: { role: orchestrator, health: { port: ${ports.claude} } }
  kami:
    role: relay
    health: { port: ${ports.kami} }
    channel: { type: whatsapp, apiUrl: "${fake.url}", idInstance: "${fake.idInstance}", apiToken: ${fake.apiToken}, receiveTimeoutS: 5, owners: ["${OWNER}"], language: en, pace: { perChatMs: 0, perInstanceMs: 0 } }
    relay: { watchMs: 0 }
`,
  );
  const start = (name: 'claude' | 'kami') => {
    const flags = [...(values.gc ? [`--inspect=127.0.0.1:${inspect[name]}`] : []), ...(values.snapshots ? ['--heapsnapshot-signal=SIGUSR2'] : [])];
    // stderr is dropped: the inspector announces itself there.
    const p = spawn(process.execPath, [...AGENT_NODE_FLAGS, ...extraFlags, ...flags, BIN, 'run', name, '-c', config, '--quiet'], { cwd: s.dir, stdio: 'ignore' });
    procs.push(p);
    return p;
  };
  const agents = { claude: start('claude'), kami: start('kami') };
  await Promise.all([waitHealthy(ports.claude), waitHealthy(ports.kami)]);

  const rows: Array<{ label: string; claude: Memory; kami: Memory; time?: ReturnType<typeof handlingTimes>; seconds?: number }> = [];
  const record = async (label: string, extra: Partial<(typeof rows)[number]> = {}) => {
    for (const name of ['claude', 'kami'] as const) {
      if (values.gc) await collectGarbage(inspect[name]);
      if (values.snapshots) await snapshot(agents[name], s.dir, values.snapshots, `${name}-${label.replace(/\W+/g, '-')}`);
    }
    const row = { label, claude: await memory(ports.claude), kami: await memory(ports.kami), ...extra };
    rows.push(row);
    console.error(`${label}: kami rss ${row.kami.rss.toFixed(1)} MiB heap ${row.kami.heapUsed.toFixed(1)}; claude rss ${row.claude.rss.toFixed(1)} heap ${row.claude.heapUsed.toFixed(1)}`);
  };

  let handled = 0;
  if (warmup > 0) {
    await drive(fake, warmup, rate, 'warm-up');
    handled += warmup;
    await untilHandled(ports.kami, handled, 600_000);
  }
  if (values.rotate) await rotate(config);
  await sleep(1000);
  await record('after warm-up');
  for (let r = 1; r <= rounds; r++) {
    const t0 = Date.now();
    await drive(fake, count, rate, `round ${r}`);
    handled += count;
    await untilHandled(ports.kami, handled, 600_000 + (count / rate) * 5000);
    const seconds = (Date.now() - t0) / 1000;
    if (values.rotate) await rotate(config);
    await sleep(1000);
    await record(`after round ${r}`, { time: handlingTimes(join(s.dir, '.agentnet', 'logs', 'kami.log'), t0), seconds });
  }
  const health = (await (await fetch(`http://127.0.0.1:${ports.kami}/health`)).json()) as { ledger?: unknown };

  const f = (x: number) => x.toFixed(1);
  console.log(`\n## Relay memory under traffic: ${rounds} × ${count} owner messages at ${rate}/s, owner not connected (warm-up ${warmup})${values.rotate ? ', bridge rotated after each round' : ''}\n`);
  console.log(`node flags: ${[...AGENT_NODE_FLAGS, ...extraFlags].join(' ')}; ${values.gc ? 'a full GC in each agent before each reading' : 'no forced GC'}${values.snapshots ? '; heap snapshots taken (RSS includes what writing them cost)' : ''}\n`);
  console.log('| when | kami RSS | kami heap used | claude RSS | claude heap used | round took | kami CPU per message | claude CPU per message | kami: response taken → queued p50 / mean / p99 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  rows.forEach((r, i) => {
    const t = r.time ? `${ms(r.time.spans.p50)} / ${ms(r.time.mean)} / ${ms(r.time.spans.p99)}` : '–';
    // CPU per owner message in the round (the GC forced before each reading included: the same for every round).
    const cpu = (a: 'kami' | 'claude') => (i === 0 ? '–' : ms(((r[a].cpu - rows[i - 1]![a].cpu) * 1000) / count));
    console.log(
      `| ${r.label} | ${f(r.kami.rss)} MiB | ${f(r.kami.heapUsed)} MiB | ${f(r.claude.rss)} MiB | ${f(r.claude.heapUsed)} MiB | ${r.seconds ? `${f(r.seconds)} s` : '–'} | ${cpu('kami')} | ${cpu('claude')} | ${t} |`,
    );
  });
  console.log(`\nrelay ledger at the end: ${JSON.stringify(health.ledger)}`);
} finally {
  stopFaults();
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  await fake.close();
  if (values.keep) console.log(`scratch directory kept: ${s.dir}`);
  else s.cleanup();
}
