/**
 * Delivery latency on PostgreSQL: append in one process -> handler called in another, p50/p99,
 * for agentnet's postgres bridge beside, in the same run, the floor (a bare NOTIFY carrying the
 * message, no table) and pg-boss on the same server (it polls, every 0.5 s at the least).
 *
 *   node bench/pg-delivery-latency.ts [--count 2000] [--interval 5] [--boss-count 200] [--url postgres://...]
 */
import { createConnection } from 'node:net';
import { measure } from './delivery-latency.ts';
import { arg, ms, type Summary } from './lib/util.ts';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** pg-boss's schemas of this benchmark (bench_boss_*), once its processes have exited. */
async function dropBossSchemas(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'bench\\_boss\\_%'`);
  for (const { name } of rows) await client.query(`DROP SCHEMA "${name}" CASCADE`);
  await client.end();
}

export async function pgDeliveryLatency(): Promise<void> {
  const count = arg('count', 2000);
  const interval = arg('interval', 5);
  const bossCount = arg('boss-count', 200);
  const url = process.argv.find((_a, i) => process.argv[i - 1] === '--url');
  if (url) process.env.BENCH_PG_URL = url;
  const rows: Array<[string, Summary | string]> = [];
  if (!url && !(await reachable(5432))) {
    console.log('\ndelivery latency on PostgreSQL: skipped, nothing on 127.0.0.1:5432 (give --url)');
    return;
  }
  console.error('agentnet postgres bridge...');
  rows.push(['agentnet postgres bridge', await measure('postgres', count, interval)]);
  console.error('floor: NOTIFY with the message...');
  rows.push(['floor: NOTIFY carrying the message -> LISTEN', await measure('pg-notify', count, interval)]);
  console.error('pg-boss...');
  rows.push(['pg-boss 10, worker polling every 0.5 s', await measure('pgboss', bossCount, interval)]);
  await dropBossSchemas(process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  console.log(`\ndelivery latency on PostgreSQL, append in one process -> handler in another (${count} messages ${interval} ms apart; pg-boss ${bossCount})`);
  console.log(`${'system'.padEnd(46)} ${'n'.padStart(6)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}`);
  for (const [name, s] of rows) {
    if (typeof s === 'string') console.log(`${name.padEnd(46)} ${s}`);
    else console.log(`${name.padEnd(46)} ${String(s.n).padStart(6)} ${ms(s.p50).padStart(10)} ${ms(s.p99).padStart(10)} ${ms(s.max).padStart(10)}`);
  }
}

if (import.meta.main) await pgDeliveryLatency();
