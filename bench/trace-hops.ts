/**
 * Traces (issue 21): what recording a request's hops costs, and the relay round trip hop by hop,
 * read from the traces themselves.
 *  - cost: one process records the hops of N relayed messages (the 17 hops of a WhatsApp message
 *    escalated, answered, sent, delivered and read) through the tracer into a SQLite store: the
 *    caller's time per hop (a push), the batch writes' time per message, and the bytes the store
 *    grows by per message;
 *  - round trip: kami (relay) and claude (orchestrator, the fake Anthropic model answering at
 *    once) as processes, WhatsApp through the fake Green API, one owner message at a time; then
 *    every trace read back from the store and each hop's time taken from it. The same run again
 *    with `traces: { record: false }` is the baseline: what recording adds to the round trip.
 *
 * node bench/trace-hops.ts [--count 200]
 */
import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTracer, type HopName } from '../src/agent/tracer.ts';
import { newTraceId } from '../src/bridge/index.ts';
import { createMemoryLogger } from '../src/log/logger.ts';
import { createSqliteStore, type TraceHop } from '../src/store/index.ts';
import { ANSWER, startRelayNetwork } from './lib/relay-network.ts';
import { ms, now, scratch, summarize } from './lib/util.ts';

const OWNER = '972501234567';
const CHAT = `${OWNER}@c.us`;
/** The hops of one relayed message, as the e2e test sees them. */
const MESSAGE_HOPS: HopName[] = ['received', 'recorded', 'acknowledged', 'escalated', 'handled', 'sent', 'claimed', 'model-started', 'model-finished', 'answered', 'claimed', 'queued', 'sent', 'delivered', 'read', 'delivered', 'read'];

async function recordingCost(count: number) {
  const { dir, cleanup } = scratch('trace-cost');
  const path = join(dir, 'store.db');
  const store = createSqliteStore({ path });
  try {
    const tracer = createTracer({ agent: 'kami', traces: store.traces, logger: createMemoryLogger() });
    // Warm up: statements prepared, the table's first pages written.
    for (let i = 0; i < 50; i++) tracer.hop(newTraceId(), 'received', `warm-${i}`);
    await tracer.flush();
    // The file's size once the write-ahead log is folded in: what the hops take on disk.
    const size = () => {
      const db = new DatabaseSync(path);
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      db.close();
      return statSync(path).size;
    };
    const before = size();
    let pushNs = 0n;
    let writeMs = 0;
    for (let m = 0; m < count; m++) {
      const trace = newTraceId();
      const t0 = process.hrtime.bigint();
      MESSAGE_HOPS.forEach((hop, i) => tracer.hop(trace, hop, `${CHAT}_3EB0${m.toString(16).padStart(16, '0')}#${i}`, i === 8 ? { model: 'anthropic:claude-sonnet-4-6', inputTokens: 1200, outputTokens: 300, ms: 840 } : { to: 'claude' }));
      pushNs += process.hrtime.bigint() - t0;
      // The hops of a message arrive over several turns of the event loop; a flush per message is the worst case.
      const w0 = performance.now();
      await tracer.flush();
      writeMs += performance.now() - w0;
    }
    const grown = Math.max(0, size() - before);
    await store.close();
    return { perHopUs: Number(pushNs) / 1000 / (count * MESSAGE_HOPS.length), perMessageWriteMs: writeMs / count, bytesPerMessage: grown / count };
  } finally {
    cleanup();
  }
}

/** Each hop's time in one trace: from the hop that starts it to the one that ends it. */
function hopTimes(hops: TraceHop[]): Record<string, number> | undefined {
  const find = (hop: string, match: (h: TraceHop) => boolean = () => true) => hops.find((h) => h.hop === hop && match(h));
  const received = find('received');
  const ack = find('acknowledged');
  const ackSent = find('sent', (h) => String(h.detail?.key).startsWith('ack:'));
  const escalated = find('escalated');
  const claimed = find('claimed', (h) => h.agent === 'claude');
  const started = find('model-started');
  const finished = find('model-finished');
  const answered = find('answered');
  const back = find('claimed', (h) => h.agent === 'kami');
  const queued = find('queued');
  const sent = find('sent', (h) => String(h.detail?.key).startsWith('bridge:'));
  const all = [received, ack, ackSent, escalated, claimed, started, finished, answered, back, queued, sent];
  if (all.some((h) => h === undefined)) return undefined;
  const [r, a, as, e, c, s, f, an, b, q, se] = all.map((h) => h!.at) as number[];
  return {
    'received → acknowledgement queued': a! - r!,
    'acknowledgement queued → sent (relay_ack ends)': as! - a!,
    'received → escalated (request on the bridge)': e! - r!,
    'escalated → claimed by claude (bridge_wait)': c! - e!,
    'claimed → model started': s! - c!,
    'model started → finished (model, instant fake)': f! - s!,
    'model finished → answered (response on the bridge)': an! - f!,
    'answered → claimed by kami (bridge_wait)': b! - an!,
    'claimed → reply queued': q! - b!,
    'reply queued → sent (send)': se! - q!,
    '**received → answer sent (end to end)**': se! - r!,
  };
}

interface RoundTrip {
  /** Notification in → acknowledgement out, and → answer out, as the fake Green API sees them (ms). */
  ack: number[];
  answer: number[];
  /** Each trace's hop times (when recorded). */
  hops: Array<Record<string, number>>;
}

async function roundTrip(count: number, record: boolean): Promise<RoundTrip> {
  const { dir, fake, stop } = await startRelayNetwork({ name: 'trace-relay', count, owner: OWNER, basePort: 48_000 + Math.floor(Math.random() * 1000) * 2, extraYaml: `traces: { record: ${record} }\n` });
  const store = createSqliteStore({ path: join(dir, '.agentnet', 'store.db') });
  try {
    const keys: string[] = [];
    const acks: number[] = [];
    const answers: number[] = [];
    const warmup = 20;
    for (let i = 0; i < warmup + count; i++) {
      const t0 = now();
      const id = fake.incoming({ from: OWNER, text: `check server ${i}` });
      const ack = await fake.waitForSent((m) => m.idMessage > id && m.message !== ANSWER, 10_000).then(() => now());
      const done = await fake.waitForSent((m) => m.idMessage > id && m.message === ANSWER, 10_000).then(() => now());
      if (i < warmup) continue;
      keys.push(`${CHAT}_${id}`);
      acks.push(ack - t0);
      answers.push(done - t0);
    }
    if (!record) return { ack: acks, answer: answers, hops: [] };
    // Every trace read back once its answer's `sent` hop is in the store.
    const times: Array<Record<string, number>> = [];
    for (const key of keys) {
      for (let tries = 0; ; tries++) {
        const trace = await store.traces.traceOf(key);
        const t = trace ? hopTimes(await store.traces.hops(trace)) : undefined;
        if (t) {
          times.push(t);
          break;
        }
        if (tries > 100) throw new Error(`the trace of ${key} is incomplete`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return { ack: acks, answer: answers, hops: times };
  } finally {
    await store.close();
    await stop();
  }
}

export async function traceHops(argv: string[] = []) {
  const { values } = parseArgs({ args: argv, options: { count: { type: 'string', default: '200' } } });
  const count = Number(values.count);
  const cost = await recordingCost(count * 5);
  console.log(`\n## Traces: recording cost (${count * 5} messages of ${MESSAGE_HOPS.length} hops, SQLite store)\n`);
  console.log('| what | per |\n| --- | ---: |');
  console.log(`| the caller's time to record a hop (a push onto the buffer) | ${(cost.perHopUs * 1000).toFixed(0)} ns / hop |`);
  console.log(`| writing a message's hops (one batch, one transaction; worst case: a batch per message) | ${ms(cost.perMessageWriteMs)} / message |`);
  console.log(`| the store's growth | ${Math.round(cost.bytesPerMessage)} bytes / message |`);
  // Alternating runs, so that a machine getting busier or quieter weighs on both alike.
  const runs: Array<[boolean, RoundTrip]> = [];
  for (const record of [false, true, false, true]) runs.push([record, await roundTrip(Math.ceil(count / 2), record)]);
  const pooled = (record: boolean, pick: (r: RoundTrip) => number[]) => summarize(runs.filter(([r]) => r === record).flatMap(([, r]) => pick(r)));
  const times = runs.flatMap(([, r]) => r.hops);
  console.log(`\n## Traces: the relay round trip hop by hop (${times.length} messages, one at a time, times from the traces)\n`);
  console.log('| hop | n | p50 | p99 | max |\n| --- | ---: | ---: | ---: | ---: |');
  for (const name of Object.keys(times[0]!)) {
    const s = summarize(times.map((t) => t[name]!));
    console.log(`| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`);
  }
  console.log(`\n## Traces: what recording adds to the round trip (seen from the fake Green API)\n`);
  console.log('| path | traces | n | p50 | p99 | max |\n| --- | --- | ---: | ---: | ---: | ---: |');
  for (const [name, pick] of [['notification in → acknowledgement out', (r: RoundTrip) => r.ack], ['notification in → answer out', (r: RoundTrip) => r.answer]] as const) {
    for (const [label, record] of [['record: false', false], ['**recorded**', true]] as const) {
      const s = pooled(record, pick);
      console.log(`| ${name} | ${label} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`);
    }
  }
}

if (import.meta.main) await traceHops(process.argv.slice(2));
