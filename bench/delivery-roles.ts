/**
 * The processes of the delivery benchmarks. argv: <system> <role> <dir> <count> <intervalMs>
 * Readers print "ready", then one JSON line of latencies (ms) after `count` messages.
 * Writers send `count` messages, each carrying its send time, `intervalMs` apart.
 * The PostgreSQL systems (postgres, pg-notify, pgboss) take the server from BENCH_PG_URL and
 * use `dir`'s last part as their schema or queue name, so a run's reader and writer meet.
 */
import { appendFileSync, openSync, readFileSync, readSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJsonlBridge } from '../src/bridge/index.ts';
import { now } from './lib/util.ts';

const [system, role, dir, countArg, intervalArg] = process.argv.slice(2);
const count = Number(countArg);
const intervalMs = Number(intervalArg);
const file = join(dir!, 'messages.jsonl');
const latencies: number[] = [];
// Exit only once the pipe took the whole line: process.exit() would cut a large write short.
const done = () => process.stdout.write(JSON.stringify(latencies) + '\n', () => process.exit(0));

async function pace(send: (i: number) => Promise<void> | void): Promise<void> {
  const start = now();
  for (let i = 0; i < count; i++) {
    // Timers, not a busy wait: on two cores a spinning writer would starve the reader it measures.
    const wait = start + i * intervalMs - now();
    await sleep(Math.max(0, wait));
    await send(i);
  }
}

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** A schema (or channel) name for this run, from the scratch directory's random suffix. */
const pgName = () => `bench_${system === 'pgboss' ? 'boss_' : ''}${dir!.split('-').pop()!.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;

async function dropSchema(): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${pgName()} CASCADE`);
  await client.end();
}

const line = (i: number) =>
  JSON.stringify({ ts: new Date().toISOString(), from: 'kami', type: 'request', id: `kami-${i}`, content: 'bench', status: 'pending', metadata: { sent: now() } }) + '\n';

if (system === 'agentnet') {
  if (role === 'reader') {
    const bridge = createJsonlBridge({ path: file });
    const sub = bridge.subscribe({ from: 'end' }, (m) => {
      latencies.push(now() - (m.metadata!.sent as number));
      if (latencies.length === count) done();
    });
    await sub.ready;
    process.stdout.write('ready\n');
  } else {
    const bridge = createJsonlBridge({ path: file });
    await pace(async () => void (await bridge.append({ from: 'kami', type: 'request', content: 'bench', metadata: { sent: now() } })));
    await bridge.close();
  }
} else if (system === 'floor') {
  // The floor: appendFile, fs.watch, read from the last offset, JSON.parse. No lock, no validation.
  if (role === 'reader') {
    appendFileSync(file, '');
    const fd = openSync(file, 'r');
    let offset = statSync(file).size;
    let rest = '';
    const buf = Buffer.alloc(1 << 20);
    watch(file, () => {
      for (let n; (n = readSync(fd, buf, 0, buf.length, offset)) > 0; offset += n) {
        const parts = (rest + buf.toString('utf8', 0, n)).split('\n');
        rest = parts.pop()!;
        for (const p of parts) latencies.push(now() - JSON.parse(p).metadata.sent);
      }
      if (latencies.length >= count) done();
    });
    process.stdout.write('ready\n');
  } else {
    await pace((i) => appendFileSync(file, line(i)));
  }
} else if (system === 'seed') {
  // The seed's Kami: every interval, read and parse the whole file, act on pending messages.
  if (role === 'reader') {
    const handled = new Set<string>();
    setInterval(() => {
      const messages = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      for (const m of messages) {
        if (m.status === 'pending' && m.metadata?.sent !== undefined && !handled.has(m.id)) {
          handled.add(m.id);
          latencies.push(now() - m.metadata.sent);
        }
      }
      if (latencies.length >= count) done();
    }, Number(process.env.SEED_POLL_MS ?? 30_000));
    process.stdout.write('ready\n');
  } else {
    await pace((i) => appendFileSync(file, line(i)));
  }
} else if (system === 'bullmq') {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port: 6379 };
  const name = `agentnet-bench-${dir!.split('-').pop()}`;
  if (role === 'reader') {
    const worker = new Worker(name, async (job) => {
      latencies.push(now() - (job.data.sent as number));
      if (latencies.length === count) {
        await new Promise((r) => process.stdout.write(JSON.stringify(latencies) + '\n', r));
        // Not from inside the processor: close() waits for the active job, which is this one.
        setImmediate(async () => {
          await worker.close();
          const queue = new Queue(name, { connection });
          await queue.obliterate({ force: true }).catch(() => {});
          await queue.close();
          process.exit(0);
        });
      }
    }, { connection, concurrency: 1 });
    await worker.waitUntilReady();
    process.stdout.write('ready\n');
  } else {
    const queue = new Queue(name, { connection });
    await pace(async () => void (await queue.add('m', { sent: now() }, { removeOnComplete: true })));
    await queue.close();
  }
} else if (system === 'postgres') {
  // agentnet's PostgreSQL bridge: append (under its lock) -> NOTIFY -> LISTEN wake-up -> query from the cursor.
  const { createPgBridge } = await import('../src/bridge/pg.ts');
  const bridge = await createPgBridge({ url: PG_URL, schema: pgName() });
  if (role === 'reader') {
    const sub = bridge.subscribe({ from: 'end' }, (m) => {
      latencies.push(now() - (m.metadata!.sent as number));
      if (latencies.length === count) void dropSchema().then(done);
    });
    await sub.ready;
    process.stdout.write('ready\n');
  } else {
    await pace(async () => void (await bridge.append({ from: 'kami', type: 'request', content: 'bench', metadata: { sent: now() } })));
    await bridge.close();
  }
} else if (system === 'pg-notify') {
  // The floor on PostgreSQL: NOTIFY with the payload itself, no table, no lock, no cursor.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const channel = pgName();
  if (role === 'reader') {
    client.on('notification', (n) => {
      latencies.push(now() - JSON.parse(n.payload!).sent);
      if (latencies.length === count) done();
    });
    await client.query(`LISTEN ${channel}`);
    process.stdout.write('ready\n');
  } else {
    await pace(async () => void (await client.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ sent: now() })])));
    await client.end();
  }
} else if (system === 'pgboss') {
  // pg-boss has no push: workers poll, at most every 0.5 s.
  const { default: PgBoss } = (await import('pg-boss')) as unknown as { default: new (o: object) => any };
  const boss = new PgBoss({ connectionString: PG_URL, schema: pgName() });
  boss.on('error', () => {});
  await boss.start();
  if (role === 'reader') {
    await boss.createQueue('bench');
    await boss.work('bench', { batchSize: 100, pollingIntervalSeconds: 0.5 }, async (jobs: Array<{ data: { sent: number } }>) => {
      const at = now();
      for (const j of jobs) latencies.push(at - j.data.sent);
      if (latencies.length >= count) done();
    });
    process.stdout.write('ready\n');
  } else {
    await pace(async () => void (await boss.send('bench', { sent: now() })));
    await boss.stop({ graceful: false, wait: true });
  }
}
