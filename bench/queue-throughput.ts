/**
 * Task queue throughput: enqueue/s, and claim+complete/s with 1 and 4 worker processes, one task
 * at a time and in batches of 32 (claimBatch + completeBatch), on the
 * SQLite and PostgreSQL stores — beside BullMQ (worker concurrency 8) on the machine's Redis and pg-boss on its
 * PostgreSQL, in the same run.
 *
 *   node bench/queue-throughput.ts [--count 20000]
 */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { openStore, type StoreSpec } from '../src/store/index.ts';
import { arg, now, resultOf, scratch, spawnTs } from './lib/util.ts';

const WORKER = new URL('./queue-worker.ts', import.meta.url).pathname;

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** agentnet's queue on a store backend: enqueue here, then claim+complete in `workers` processes. */
async function agentnet(backend: 'sqlite' | 'postgres', count: number, workers: number, batch = 1): Promise<{ enqueue: number; process: number }> {
  const { dir, cleanup } = scratch('queue');
  const spec: StoreSpec = backend === 'sqlite' ? { backend, path: join(dir, 'store.db') } : { backend, url: PG_URL, schema: `bench_q_${process.pid}_${workers}_${batch}` };
  try {
    const store = await openStore(spec);
    const t0 = now();
    for (let i = 0; i < count; i++) await store.queue.enqueue({ kind: 'bench', payload: { i } });
    const enqueue = count / ((now() - t0) / 1000);
    await store.close();
    const results = await Promise.all(Array.from({ length: workers }, (_, w) => resultOf<{ start: number; end: number; done: number }>(spawnTs([WORKER, 'store', JSON.stringify(spec), `w${w}`, String(batch)]))));
    const done = results.reduce((a, r) => a + r.done, 0);
    if (done !== count) throw new Error(`${backend}: ${done} of ${count} tasks processed`);
    const wall = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
    return { enqueue, process: count / (wall / 1000) };
  } finally {
    cleanup();
    if (spec.schema) {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${spec.schema}" CASCADE`);
      await c.end();
    }
  }
}

async function bullmq(count: number): Promise<{ enqueue: number; process: number }> {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: 6379 };
  const name = `agentnet-queue-bench-${process.pid}`;
  const queue = new Queue(name, { connection });
  const t0 = now();
  for (let i = 0; i < count; i++) await queue.add('bench', { i }, { removeOnComplete: true });
  const enqueue = count / ((now() - t0) / 1000);
  let done = 0;
  const t1 = now();
  await new Promise<void>((resolve) => {
    const worker = new Worker(name, async () => {
      if (++done === count) setImmediate(() => void worker.close().then(() => resolve()));
    }, { connection, concurrency: 8 });
  });
  const processRate = count / ((now() - t1) / 1000);
  await queue.obliterate({ force: true });
  await queue.close();
  return { enqueue, process: processRate };
}

async function pgboss(count: number): Promise<{ enqueue: number; process: number }> {
  const { default: PgBoss } = (await import('pg-boss')) as unknown as { default: new (o: object) => any };
  const boss = new PgBoss({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', schema: `bench_${process.pid}` });
  boss.on('error', () => {});
  await boss.start();
  const name = 'bench';
  await boss.createQueue(name);
  const t0 = now();
  for (let i = 0; i < count; i++) await boss.send(name, { i });
  const enqueue = count / ((now() - t0) / 1000);
  let done = 0;
  const t1 = now();
  await new Promise<void>((resolve) => {
    void boss.work(name, { batchSize: 100, pollingIntervalSeconds: 0.5 }, async (jobs: unknown[]) => {
      done += jobs.length;
      if (done >= count) resolve();
    });
  });
  const processRate = count / ((now() - t1) / 1000);
  await boss.offWork(name);
  await boss.stop({ graceful: false, wait: true, destroy: true });
  // The schema stays: dropping it while pg-boss holds its locks would hang. Clean up with
  // DROP SCHEMA bench_<pid> CASCADE if you care; each run uses its own.
  console.error(`pg-boss left schema bench_${process.pid} in database test`);
  return { enqueue, process: processRate };
}

export async function queueThroughput(): Promise<void> {
  const count = arg('count', 20_000);
  const rows: Array<[string, { enqueue: number; process: number } | string]> = [];
  const pgUp = await reachable(5432);
  for (const backend of ['sqlite', 'postgres'] as const) {
    for (const [workers, batch] of [[1, 1], [4, 1], [1, 32], [4, 32]] as const) {
      const name = `agentnet ${backend}, ${workers} worker${workers > 1 ? 's' : ''}${batch > 1 ? `, batches of ${batch}` : ', one at a time'}`;
      console.error(`${name}...`);
      rows.push([name, backend === 'postgres' && !pgUp ? 'skipped: PostgreSQL not reachable' : await agentnet(backend, count, workers, batch)]);
    }
  }
  console.error('bullmq...');
  rows.push(['BullMQ, 1 worker, concurrency 8', (await reachable(6379)) ? await bullmq(count) : 'skipped: Redis not reachable']);
  console.error('pg-boss...');
  rows.push(['pg-boss, 1 worker, batch 100', (await reachable(5432)) ? await pgboss(Math.min(count, 2000)) : 'skipped: PostgreSQL not reachable']);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`\ntask queue: enqueue, then claim+complete (${count} tasks; pg-boss ${Math.min(count, 2000)}: it polls every 0.5 s)`);
  console.log(`${'queue'.padEnd(48)} ${'enqueue/s'.padStart(11)} ${'claim+complete/s'.padStart(17)}`);
  for (const [name, r] of rows) console.log(typeof r === 'string' ? `${name.padEnd(48)} ${r}` : `${name.padEnd(48)} ${fmt(r.enqueue).padStart(11)} ${fmt(r.process).padStart(17)}`);
}

if (import.meta.main) await queueThroughput();
