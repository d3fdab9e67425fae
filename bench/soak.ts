/**
 * The soak and chaos run: a whole network (`agentnet up`: claude on a fake Anthropic API, kami
 * on a fake Green API, kaylee) under lockless (seed-style) and locked writers and the owner's
 * WhatsApp messages, while agents and `up` are SIGKILLed at random, the bridge is rotated (some
 * rotations killed mid-way), poison lines arrive, a paused backlog builds and drains, and Green
 * API and the model fail for a while; then a steady phase with no chaos. It ends with an exact
 * account, counted on the bridge and at the fake phone: requests sent, answered once, answered
 * more than once, lost, quarantined, stuck, torn lines, restarts, /health latency, RSS per agent.
 *   node bench/soak.ts [--chaos-minutes 10] [--steady-minutes 20] [--rate 0.5] [--heap-snapshots DIR] [--json]
 * A short version runs in `npm test` (test/e2e/soak.test.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { createJsonlBridge, parseLine, type BridgeMessage } from '../src/bridge/index.ts';
import { anthropicError, startFakeAnthropic } from '../test/fakes/fake-anthropic.ts';
import { startFakeGreenApi } from '../test/fakes/fake-green-api.ts';
import { BIN, e2eAgentsYaml, freePort, runNode, spawnNode, stopProcess } from '../test/helpers/util.ts';

export interface SoakOptions {
  dir: string;
  chaosSeconds: number;
  steadySeconds: number;
  /** Requests per second from each source. */
  rates: { lockless: number; locked: number; whatsapp: number };
  killEverySeconds: number;
  rotateEverySeconds: number;
  /** How long the network stays paused while a burst waits. */
  pauseSeconds: number;
  /** Requests appended at once while paused. */
  burst: number;
  greenDownSeconds: number;
  modelDownSeconds: number;
  /** In the chaos phase, every Nth lockless request is followed by a poison line (0: none); the steady phase has none. */
  poisonEvery: number;
  drainTimeoutSeconds: number;
  /** When set, each agent writes a V8 heap snapshot here at the warm point and at the end (compare them with bench/heap-diff.ts). */
  heapSnapshotDir?: string;
  log?: (line: string) => void;
}

export interface SoakAccount {
  sent: { lockless: number; locked: number; burst: number; whatsapp: number; poison: number; total: number };
  answeredOnce: number;
  /** Of those, answered with a failure notice (the model was down past the retries). */
  answeredWithFailure: number;
  answeredTwice: string[];
  lost: string[];
  quarantined: number;
  stuck: string[];
  tornLines: number;
  /**
   * At the fake phone. A send Green API accepted just before the relay was SIGKILLed (before
   * the ledger recorded it) is sent again after the restart: Green API's sendMessage has no
   * idempotency key. `unexplained` lists the duplicates with no kill of the relay (or of `up`)
   * within a second after their first send: those would be a defect.
   */
  phone: { once: number; twice: string[]; never: string[]; unexplained: string[] };
  restarts: { agents: number; up: number; rotationsKilled: number; rotations: number };
  /** /health seen from outside, and the agent's own worst event-loop delay (from its /metrics). */
  health: Record<string, { probes: number; failed: number; p99Ms: number; maxMs: number; loopLagMaxMs: number; slowInChaos: number; slowInSteady: number; slow: Array<[string, number]> }>;
  /** The machine's 1-minute load average, sampled every 10 s: its mean and max (2 cores here; the agents compete with everything else). */
  load: { mean: number; max: number };
  /** RSS when the network came up, a third into the steady phase (warm), two thirds in, and at the end. */
  rssMiB: Record<string, { start?: number; warm?: number; middle?: number; end?: number }>;
  /**
   * Each agent's memory once a minute, in MiB: [minutes since the network came up, RSS, V8 heap
   * total, V8 heap used, external], read from /proc and from its own /metrics. RSS minus heap and
   * external is native memory (the allocator, SQLite, buffers), which a heap snapshot cannot see.
   */
  memory: Record<string, Array<[number, number, number, number, number]>>;
}

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;
const KEY = 'sk-ant-soak-0123456789';
const MARKER = /\[soak:([^\]\s]+)\]/;
const AGENTS = ['claude', 'kami', 'kaylee'] as const;

const rssMiB = (pid: number): number | undefined => {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round((Number(kb) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
};

export async function runSoak(o: SoakOptions): Promise<SoakAccount> {
  const log = o.log ?? (() => {});
  const stateDir = join(o.dir, '.agentnet');
  const bridgeFile = join(stateDir, 'bridge', 'messages.jsonl');
  mkdirSync(join(stateDir, 'bridge'), { recursive: true });
  let modelDown = false;
  const green = await startFakeGreenApi();
  const model = await startFakeAnthropic({
    keep: 50,
    respond: (body: { messages?: Array<{ content: unknown }> }) => {
      if (modelDown) return anthropicError(529, 'overloaded_error');
      const marker = MARKER.exec(JSON.stringify(body.messages?.at(-1)?.content ?? ''))?.[1] ?? 'none';
      return { reply: { text: `answer [soak:${marker}]` } };
    },
  });
  const ports = Object.fromEntries(await Promise.all(AGENTS.map(async (a) => [a, await freePort()] as const))) as Record<string, number>;
  const config = join(o.dir, 'agentnet.yaml');
  writeFileSync(
    config,
    `network: soak
bridge: { pollIntervalMs: 250 }
dashboard: { enabled: false }
${e2eAgentsYaml({ anthropicUrl: model.url, green, owner: OWNER, ports })}`,
  );
  // A heap snapshot on SIGUSR2 (V8 collects garbage first, so a snapshot holds only what is retained).
  const env = { KEY, ...(o.heapSnapshotDir ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${o.heapSnapshotDir}`.trim() } : {}) };
  const cli = (...args: string[]) => runNode([BIN, ...args, '-c', config], { cwd: o.dir, env });
  const account: SoakAccount = {
    sent: { lockless: 0, locked: 0, burst: 0, whatsapp: 0, poison: 0, total: 0 },
    answeredOnce: 0,
    answeredWithFailure: 0,
    answeredTwice: [],
    lost: [],
    quarantined: 0,
    stuck: [],
    tornLines: 0,
    phone: { once: 0, twice: [], never: [], unexplained: [] },
    restarts: { agents: 0, up: 0, rotationsKilled: 0, rotations: 0 },
    health: Object.fromEntries(AGENTS.map((a) => [a, { probes: 0, failed: 0, p99Ms: 0, maxMs: 0, loopLagMaxMs: 0, slowInChaos: 0, slowInSteady: 0, slow: [] }])),
    load: { mean: 0, max: 0 },
    rssMiB: Object.fromEntries(AGENTS.map((a) => [a, {}])),
    memory: Object.fromEntries(AGENTS.map((a) => [a, []])),
  };
  /** When the relay died (killed itself, or with up). */
  const relayKills: number[] = [];

  let up: ChildProcess | undefined;
  const startUp = () => {
    up = spawnNode([BIN, 'up', '--restart-sec', '1', '-c', config], { cwd: o.dir, env });
    up.stdout!.resume();
    up.stderr!.resume();
  };
  const health = async (agent: string, timeoutMs = 3000): Promise<{ pid: number; status: string } | undefined> => {
    try {
      return (await (await fetch(`http://127.0.0.1:${ports[agent]}/health`, { signal: AbortSignal.timeout(timeoutMs) })).json()) as { pid: number; status: string };
    } catch {
      return undefined;
    }
  };
  const allHealthy = async () => {
    for (let i = 0; i < 600; i++) {
      if ((await Promise.all(AGENTS.map((a) => health(a)))).every((h) => h !== undefined)) return;
      await sleep(100);
    }
    throw new Error('the network did not come up');
  };

  const probesFile = join(o.dir, 'probes.json');
  const prober = spawnNode([new URL('./soak-prober.ts', import.meta.url).pathname, JSON.stringify(ports), probesFile]);
  const loads: number[] = [];
  const loadSampler = setInterval(() => loads.push(loadavg()[0]!), 10_000);
  let upAt = Date.now();
  const memorySampler = setInterval(() => void Promise.all(AGENTS.map((a) => sampleMemory(a, (Date.now() - upAt) / 60_000))), 60_000);
  const sampleMemory = async (agent: string, minutes: number) => {
    const pid = (await health(agent))?.pid;
    const text = await fetch(`http://127.0.0.1:${ports[agent]}/metrics`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text(), () => '');
    const metric = (name: string) => Number(new RegExp(`^agentnet_nodejs_${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1]) / 1048576;
    const rss = pid ? rssMiB(pid) : undefined;
    const row = [minutes, rss ?? NaN, metric('heap_size_total_bytes'), metric('heap_size_used_bytes'), metric('external_memory_bytes')].map((n) => Math.round(n * 10) / 10);
    if (row.every(Number.isFinite)) account.memory[agent]!.push(row as [number, number, number, number, number]);
  };

  const sampleRss = async (at: 'start' | 'warm' | 'middle' | 'end') => {
    for (const a of AGENTS) {
      const pid = (await health(a))?.pid;
      if (pid) account.rssMiB[a]![at] = rssMiB(pid);
    }
    if (o.heapSnapshotDir && (at === 'warm' || at === 'end')) await snapshotHeaps(at);
  };
  /** Each agent writes a snapshot (its event loop stops while it does: the next /health answer means it is written); renamed `<agent>-<at>.heapsnapshot`. */
  const snapshotHeaps = async (at: string) => {
    for (const a of AGENTS) {
      const pid = (await health(a))?.pid;
      if (!pid) continue;
      const before = new Set(readdirSync(o.heapSnapshotDir!));
      process.kill(pid, 'SIGUSR2');
      await sleep(500);
      while (!(await health(a, 60_000))) await sleep(200);
      const made = readdirSync(o.heapSnapshotDir!).find((f) => !before.has(f) && f.includes(`.${pid}.`) && f.endsWith('.heapsnapshot'));
      if (made) renameSync(join(o.heapSnapshotDir!, made), join(o.heapSnapshotDir!, `${a}-${at}.heapsnapshot`));
      log(`heap snapshot of ${a} at ${at}: ${made ? 'written' : 'missing'}`);
    }
  };
  startUp();
  await allHealthy();
  upAt = Date.now();
  await sampleRss('start');
  log('network up');
  const total = o.chaosSeconds + o.steadySeconds;
  const writers = [
    spawnNode([new URL('./soak-writer.ts', import.meta.url).pathname, 'lockless', bridgeFile, 'seed', String(o.rates.lockless), String(total), OWNER_CHAT, String(o.poisonEvery), String(o.chaosSeconds)]),
    spawnNode([new URL('./soak-writer.ts', import.meta.url).pathname, 'locked', bridgeFile, 'lk', String(o.rates.locked), String(total), OWNER_CHAT, '0']),
  ];
  const writersDone = Promise.all(writers.map((w) => new Promise((r) => w.once('exit', r))));
  const whatsapp: string[] = [];
  const owner = (async () => {
    const start = Date.now();
    for (let i = 0; Date.now() - start < total * 1000; i++) {
      const id = `wa-${i}`;
      green.incoming({ from: OWNER, text: `[soak:${id}] check the servers` });
      whatsapp.push(id);
      await sleep(Math.max(0, start + ((i + 1) * 1000) / o.rates.whatsapp - Date.now()));
    }
  })();

  // Chaos: kills and rotations on their own clocks; pause, Green API and model outages once each.
  const chaosEnd = Date.now() + o.chaosSeconds * 1000;
  const killer = (async () => {
    while (Date.now() + o.killEverySeconds * 1000 < chaosEnd) {
      await sleep(o.killEverySeconds * 1000 * (0.5 + Math.random()));
      const target = [...AGENTS, 'up'][Math.floor(Math.random() * 4)]!;
      if (target === 'up') {
        // Like a machine crash: up and every agent it started die at once, then up starts again.
        const pids = (await Promise.all(AGENTS.map((a) => health(a)))).map((h) => h?.pid);
        await stopProcess(up!, 'SIGKILL');
        for (const pid of pids) if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        await sleep(300);
        relayKills.push(Date.now());
        startUp();
        account.restarts.up++;
        log('killed up and its agents');
      } else {
        const pid = (await health(target))?.pid;
        if (!pid) continue;
        try {
          process.kill(pid, 'SIGKILL');
          if (target === 'kami') relayKills.push(Date.now());
          account.restarts.agents++;
          log(`killed ${target}`);
        } catch { /* already gone */ }
      }
      await allHealthy();
    }
  })();
  const rotator = (async () => {
    while (Date.now() < chaosEnd) {
      await sleep(o.rotateEverySeconds * 1000);
      const child = spawnNode([BIN, 'bridge', 'rotate', '--days', '0', '-c', config], { cwd: o.dir, env });
      child.stdout!.resume();
      child.stderr!.resume();
      account.restarts.rotations++;
      if (Math.random() < 0.3) {
        await sleep(Math.random() * 300);
        if (child.exitCode === null) account.restarts.rotationsKilled++;
        await stopProcess(child, 'SIGKILL');
      } else await new Promise((r) => child.once('exit', r));
    }
  })();
  const outages = (async () => {
    const lockedBridge = createJsonlBridge({ path: bridgeFile });
    await sleep(o.chaosSeconds * 250);
    await cli('pause', '--reason', 'soak backlog');
    for (let i = 0; i < o.burst; i++) await lockedBridge.append({ from: 'kami', to: 'claude', type: 'request', id: `burst-${i}`, content: `[soak:burst-${i}] backlog`, metadata: { whatsapp_sender: OWNER_CHAT } });
    account.sent.burst = o.burst;
    await lockedBridge.close();
    await sleep(o.pauseSeconds * 1000);
    await cli('resume');
    log(`paused ${o.pauseSeconds} s with a burst of ${o.burst}`);
    await sleep(Math.max(0, chaosEnd - o.chaosSeconds * 500 - Date.now()));
    green.down();
    await sleep(o.greenDownSeconds * 1000);
    green.up();
    log(`Green API was down ${o.greenDownSeconds} s`);
    await sleep(Math.max(0, chaosEnd - o.chaosSeconds * 250 - Date.now()));
    modelDown = true;
    await sleep(o.modelDownSeconds * 1000);
    modelDown = false;
    log(`the model was down ${o.modelDownSeconds} s`);
  })();
  await Promise.all([killer, rotator, outages]);
  log('chaos over; steady traffic');

  // Steady: no chaos; memory is measured on processes that now live to the end.
  const steadyStart = Date.now();
  await sleep((o.steadySeconds * 1000) / 3);
  await sampleRss('warm');
  await sleep(Math.max(0, steadyStart + (o.steadySeconds * 2000) / 3 - Date.now()));
  await sampleRss('middle');
  await Promise.all([writersDone, owner]);
  await sampleRss('end');
  log('traffic over; draining');

  // What was sent, exactly.
  const soakDir = join(stateDir, 'soak');
  const ids = (name: string, ext = 'ids') => (existsSync(join(soakDir, `${name}.${ext}`)) ? readFileSync(join(soakDir, `${name}.${ext}`), 'utf8').split('\n').filter(Boolean) : []);
  const lockless = ids('seed');
  const locked = ids('lk');
  const poison = ids('seed', 'poison');
  const bursts = Array.from({ length: account.sent.burst }, (_, i) => `burst-${i}`);
  Object.assign(account.sent, { lockless: lockless.length, locked: locked.length, whatsapp: whatsapp.length, poison: poison.length });
  account.sent.total = lockless.length + locked.length + bursts.length + whatsapp.length + poison.length;
  const markers = [...lockless, ...locked, ...bursts, ...whatsapp];

  const reader = createJsonlBridge({ path: bridgeFile });
  const settle = async () => {
    const all = await reader.list({ includeArchived: true });
    const requestsByMarker = new Map<string, BridgeMessage[]>();
    const responsesTo = new Map<string, BridgeMessage[]>();
    for (const m of all) {
      if (m.type === 'request') {
        const marker = m.id.startsWith('seed-poison-') ? m.id : MARKER.exec(m.content)?.[1];
        if (marker) requestsByMarker.set(marker, [...(requestsByMarker.get(marker) ?? []), m]);
      } else if (m.type === 'response' && m.replyTo) responsesTo.set(m.replyTo, [...(responsesTo.get(m.replyTo) ?? []), m]);
    }
    return { requestsByMarker, responsesTo };
  };
  const drainEnd = Date.now() + o.drainTimeoutSeconds * 1000;
  let state = await settle();
  const phoneCount = (marker: string) => green.sent.filter((s) => s.message.includes(`answer [soak:${marker}]`)).length;
  const unfinished = () =>
    [...markers, ...poison].filter((mk) => {
      const reqs = state.requestsByMarker.get(mk) ?? [];
      if (reqs.length === 0 || reqs.some((r) => (state.responsesTo.get(r.id) ?? []).length === 0)) return true;
      const ok = reqs.every((r) => !(state.responsesTo.get(r.id) ?? []).some((x) => x.metadata?.failed));
      return ok && !poison.includes(mk) && phoneCount(mk) === 0;
    });
  while (unfinished().length > 0 && Date.now() < drainEnd) {
    await sleep(2000);
    state = await settle();
  }
  log(`drained (${unfinished().length} unfinished)`);

  for (const mk of markers) {
    const reqs = state.requestsByMarker.get(mk) ?? [];
    if (reqs.length === 0) {
      account.lost.push(mk);
      continue;
    }
    const answers = reqs.flatMap((r) => state.responsesTo.get(r.id) ?? []);
    if (answers.length === 0) account.lost.push(mk);
    else if (answers.length > 1 || reqs.length > 1) account.answeredTwice.push(mk);
    else {
      account.answeredOnce++;
      if (answers[0]!.metadata?.failed) account.answeredWithFailure++;
      else {
        const n = phoneCount(mk);
        if (n === 1) account.phone.once++;
        else if (n === 0) account.phone.never.push(mk);
        else {
          account.phone.twice.push(mk);
          const at = green.sent.filter((x) => x.message.includes(`answer [soak:${mk}]`)).map((x) => x.at);
          // The kill must follow the first send closely: in flight, not merely somewhere between.
          if (!relayKills.some((k) => k >= at[0]! - 100 && k <= Math.min(at[0]! + 1000, at.at(-1)!))) account.phone.unexplained.push(mk);
        }
      }
    }
    if (reqs.some((r) => r.status !== 'done')) account.stuck.push(mk);
  }
  for (const p of poison) {
    const answers = (state.requestsByMarker.get(p) ?? []).flatMap((r) => state.responsesTo.get(r.id) ?? []);
    if (answers.length === 1 && answers[0]!.metadata?.failed) account.quarantined++;
    else if (answers.length === 0) account.lost.push(p);
    else account.answeredTwice.push(p);
  }
  // Torn or malformed lines anywhere the bridge keeps records.
  const bridgeDir = join(stateDir, 'bridge');
  for (const f of readdirSync(bridgeDir).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(bridgeDir, f), 'utf8').split('\n')) if (line.trim() && !parseLine(line).ok) account.tornLines++;
  }
  await reader.close();

  await stopProcess(prober, 'SIGTERM');
  clearInterval(loadSampler);
  clearInterval(memorySampler);
  account.load = { mean: Math.round((loads.reduce((x, y) => x + y, 0) / Math.max(1, loads.length)) * 10) / 10, max: Math.round(Math.max(0, ...loads) * 10) / 10 };
  const probes = JSON.parse(readFileSync(probesFile, 'utf8')) as Record<string, { probes: number; failed: number; latencies: number[]; loopLagMaxMs: number; slow: Array<[number, number]> }>;
  for (const a of AGENTS) {
    const s = [...probes[a]!.latencies].sort((x, y) => x - y);
    account.health[a]!.probes = probes[a]!.probes;
    account.health[a]!.failed = probes[a]!.failed;
    account.health[a]!.loopLagMaxMs = Math.round(probes[a]!.loopLagMaxMs);
    account.health[a]!.p99Ms = Math.round((s[Math.ceil(s.length * 0.99) - 1] ?? 0) * 10) / 10;
    account.health[a]!.maxMs = Math.round((s.at(-1) ?? 0) * 10) / 10;
    account.health[a]!.slowInChaos = probes[a]!.slow.filter(([at]) => at < steadyStart).length;
    account.health[a]!.slowInSteady = probes[a]!.slow.filter(([at]) => at >= steadyStart).length;
    account.health[a]!.slow = probes[a]!.slow.map(([at, ms]) => [new Date(at).toISOString(), ms]);
  }
  await stopProcess(up!, 'SIGTERM');
  await model.close();
  await green.close();
  return account;
}

/** The account as a short table. */
export function formatAccount(a: SoakAccount): string {
  const rows = [
    `sent: ${a.sent.total} (lockless ${a.sent.lockless}, locked ${a.sent.locked}, burst ${a.sent.burst}, WhatsApp ${a.sent.whatsapp}, poison ${a.sent.poison})`,
    `answered exactly once: ${a.answeredOnce} (with a failure notice: ${a.answeredWithFailure})`,
    `answered more than once: ${a.answeredTwice.length}${a.answeredTwice.length ? ` (${a.answeredTwice.slice(0, 10).join(', ')})` : ''}`,
    `lost: ${a.lost.length}${a.lost.length ? ` (${a.lost.slice(0, 10).join(', ')})` : ''}`,
    `quarantined (poison, one notice each): ${a.quarantined}`,
    `stuck pending: ${a.stuck.length}`,
    `torn or malformed lines: ${a.tornLines}`,
    `at the phone: once ${a.phone.once}, twice ${a.phone.twice.length}${a.phone.twice.length ? ` (${a.phone.twice.join(', ')}; with no relay kill between the two sends: ${a.phone.unexplained.length})` : ''}, never ${a.phone.never.length}`,
    `restarts: agents ${a.restarts.agents}, up (with its agents) ${a.restarts.up}; rotations ${a.restarts.rotations} (${a.restarts.rotationsKilled} killed mid-way)`,
    ...Object.entries(a.health).map(([k, h]) => `/health ${k}: ${h.probes} probes, ${h.failed} unanswered (down or restarting), p99 ${h.p99Ms} ms, max ${h.maxMs} ms, over 100 ms: ${h.slowInChaos} in the chaos phase and ${h.slowInSteady} in the steady phase${h.slow.length ? ` (${h.slow.map(([at, ms]) => `${at.slice(11, 19)} ${ms} ms`).join(', ')}; the log above says what happened then)` : ''}; its own event loop's worst delay ${h.loopLagMaxMs} ms`),
    `machine load (1-minute average, sampled every 10 s): mean ${a.load.mean}, max ${a.load.max}`,
    ...Object.entries(a.rssMiB).map(([k, r]) => `RSS ${k}: start ${r.start ?? '?'} MiB; steady phase: warm ${r.warm ?? '?'} MiB, ⅔ ${r.middle ?? '?'} MiB, end ${r.end ?? '?'} MiB`),
    ...Object.entries(a.memory).map(([k, rows]) => `memory ${k} (minute: RSS / heap total / heap used / external, MiB): ${rows.filter((_, i) => i % 5 === 0 || i === rows.length - 1).map(([m, ...r]) => `${Math.round(m)}: ${r.join(' / ')}`).join('; ')}`),
  ];
  return rows.join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      'chaos-minutes': { type: 'string', default: '10' },
      'steady-minutes': { type: 'string', default: '20' },
      rate: { type: 'string', default: '0.5', description: 'requests per second from each of the three sources' },
      'heap-snapshots': { type: 'string', description: 'a folder: each agent writes a heap snapshot there at the warm point and at the end' },
      json: { type: 'boolean', default: false },
    },
  });
  const { scratch } = await import('./lib/util.ts');
  const s = scratch('soak');
  const rate = Number(values.rate);
  const chaosSeconds = Number(values['chaos-minutes']) * 60;
  try {
    const account = await runSoak({
      dir: s.dir,
      chaosSeconds,
      steadySeconds: Number(values['steady-minutes']) * 60,
      rates: { lockless: rate, locked: rate, whatsapp: rate },
      killEverySeconds: 20,
      rotateEverySeconds: 15,
      pauseSeconds: 60,
      burst: 500,
      greenDownSeconds: Math.min(180, chaosSeconds / 5),
      modelDownSeconds: Math.min(120, chaosSeconds / 6),
      poisonEvery: 50,
      drainTimeoutSeconds: 600,
      ...(values['heap-snapshots'] ? { heapSnapshotDir: values['heap-snapshots'] } : {}),
      log: (l) => console.error(`${new Date().toISOString()} ${l}`),
    });
    console.log(values.json ? JSON.stringify(account, null, 2) : formatAccount(account));
  } finally {
    s.cleanup();
  }
}
