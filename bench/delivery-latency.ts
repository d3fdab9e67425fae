/**
 * Delivery latency: append in one process -> handler called in another. p50/p99 over
 * --count messages (default 10 000) sent --interval ms apart (default 1), beside, in the same
 * run: the bare append -> fs.watch -> read-from-offset floor, BullMQ on the local Redis (when
 * reachable), and the seed's design (re-read and parse the whole file every 30 s).
 *
 *   node bench/delivery-latency.ts [--count 10000] [--interval 1] [--seed-count 20] [--seed-poll 30000]
 */
import { createConnection } from 'node:net';
import { arg, ms, resultOf, scratch, spawnTs, summarize, waitForLine, type Summary } from './lib/util.ts';

const ROLES = new URL('./delivery-roles.ts', import.meta.url).pathname;

export async function measure(system: string, count: number, intervalMs: number, env: NodeJS.ProcessEnv = {}): Promise<Summary> {
  const { dir, cleanup } = scratch(system);
  try {
    Object.assign(process.env, env);
    const reader = spawnTs([ROLES, system, 'reader', dir, String(count), String(intervalMs)]);
    const result = resultOf<number[]>(reader);
    await waitForLine(reader, 'ready');
    const writer = spawnTs([ROLES, system, 'writer', dir, String(count), String(intervalMs)]);
    await new Promise((r) => writer.once('exit', r));
    return summarize(await result);
  } finally {
    cleanup();
  }
}

function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: 6379 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function deliveryLatency(): Promise<void> {
  const count = arg('count', 10_000);
  const interval = arg('interval', 1);
  const seedCount = arg('seed-count', 20);
  const seedPoll = arg('seed-poll', 30_000);
  const rows: Array<[string, Summary | string]> = [];
  rows.push(['agentnet jsonl bridge', await measure('agentnet', count, interval)]);
  rows.push(['floor: append -> fs.watch -> read', await measure('floor', count, interval)]);
  rows.push(['BullMQ (local Redis)', (await redisReachable()) ? await measure('bullmq', count, interval) : 'skipped: Redis not reachable on 127.0.0.1:6379']);
  // The seed polls every 30 s: a few messages spread over two polls show its latency honestly.
  rows.push([
    `seed design: whole-file poll every ${seedPoll / 1000} s`,
    await measure('seed', seedCount, (2 * seedPoll) / seedCount, { SEED_POLL_MS: String(seedPoll) }),
  ]);
  console.log(`\ndelivery latency, append in one process -> handler in another (${count} messages, ${interval} ms apart)`);
  console.log(`${'system'.padEnd(42)} ${'n'.padStart(6)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}`);
  for (const [name, s] of rows) {
    if (typeof s === 'string') console.log(`${name.padEnd(42)} ${s}`);
    else console.log(`${name.padEnd(42)} ${String(s.n).padStart(6)} ${ms(s.p50).padStart(10)} ${ms(s.p99).padStart(10)} ${ms(s.max).padStart(10)}`);
  }
}

if (import.meta.main) await deliveryLatency();
