/**
 * Scan cost vs size: how long it takes a subscriber in another process to notice one new
 * message when the bridge already holds 12 000 lines (the seed's file after three months) and
 * 1 000 000 lines. Target: ratio <= 1.2. Beside it, what one poll of the seed's design costs
 * at each size (read and JSON.parse the whole file).
 *
 *   node bench/scan-cost.ts [--sizes 12000,1000000] [--count 1000] [--interval 5]
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { arg, ms, now, percentile, resultOf, scratch, spawnTs, summarize, waitForLine, type Summary } from './lib/util.ts';

const ROLES = new URL('./delivery-roles.ts', import.meta.url).pathname;

function prefill(file: string, lines: number): void {
  const fd = openSync(file, 'w');
  const base = Date.parse('2026-08-01T00:00:00Z');
  let chunk: string[] = [];
  for (let i = 0; i < lines; i++) {
    const from = ['kami', 'claude', 'kaylee'][i % 3];
    chunk.push(
      JSON.stringify({
        ts: new Date(base + i * 1000).toISOString(),
        from,
        type: i % 3 === 1 ? 'response' : 'request',
        id: `${from}-${base + i * 1000}-${(i % 46656).toString(36).padStart(6, '0')}`,
        content: `message ${i}: check the deployment of the API and report back when it is healthy`,
        status: i % 2 ? 'done' : 'pending',
        metadata: { whatsapp_sender: '972500000000@c.us', priority: 'normal' },
      }),
    );
    if (chunk.length === 10_000) {
      writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  if (chunk.length) writeSync(fd, chunk.join('\n') + '\n');
  // Flush now: otherwise the kernel writes 300 MB back during the measurement and we time that.
  fsyncSync(fd);
  closeSync(fd);
}

function seedPollCost(file: string): number {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = now();
    const messages = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status: string });
    messages.filter((m) => m.status === 'pending');
    times.push(now() - t);
  }
  return percentile(times.sort((a, b) => a - b), 50);
}

export async function scanCost(): Promise<void> {
  const sizes = (process.argv.includes('--sizes') ? process.argv[process.argv.indexOf('--sizes') + 1]! : '12000,1000000').split(',').map(Number);
  const count = arg('count', 1000);
  const interval = arg('interval', 5);
  const rows: Array<{ size: number; notice: Summary; seed: number }> = [];
  for (const size of sizes) {
    const { dir, cleanup } = scratch(`scan-${size}`);
    try {
      prefill(join(dir, 'messages.jsonl'), size);
      const reader = spawnTs([ROLES, 'agentnet', 'reader', dir, String(count), String(interval)]);
      const result = resultOf<number[]>(reader);
      await waitForLine(reader, 'ready');
      const writer = spawnTs([ROLES, 'agentnet', 'writer', dir, String(count), String(interval)]);
      await new Promise((r) => writer.once('exit', r));
      rows.push({ size, notice: summarize(await result), seed: seedPollCost(join(dir, 'messages.jsonl')) });
    } finally {
      cleanup();
    }
  }
  console.log(`\nscan cost vs size: notice one new message (${count} messages, ${interval} ms apart, reader in another process)`);
  console.log(`${'lines in file'.padEnd(14)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'seed: one poll (read+parse all)'.padStart(34)}`);
  for (const r of rows) console.log(`${String(r.size).padEnd(14)} ${ms(r.notice.p50).padStart(10)} ${ms(r.notice.p99).padStart(10)} ${ms(r.seed).padStart(34)}`);
  if (rows.length >= 2) {
    const [a, b] = [rows[0]!, rows[rows.length - 1]!];
    console.log(
      `ratio ${b.size}/${a.size}: agentnet p50 ${(b.notice.p50 / a.notice.p50).toFixed(2)}, p99 ${(b.notice.p99 / a.notice.p99).toFixed(2)}; seed poll ${(b.seed / a.seed).toFixed(1)}`,
    );
  }
}

if (import.meta.main) await scanCost();
