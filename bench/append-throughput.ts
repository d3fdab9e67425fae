/**
 * Append throughput: 3 writer processes appending at once, messages/s, with and without
 * fsync, one append at a time per process and 32 in flight (group commit). Beside it, the
 * seed's writer (appendFile, no lock). Every run is checked: line count, every line parses,
 * no id twice.
 *
 *   node bench/append-throughput.ts [--count 20000] [--fsync-count 2000] [--writers 3]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLine } from '../src/bridge/index.ts';
import { arg, resultOf, scratch, spawnTs } from './lib/util.ts';

const WRITER = new URL('./append-writer.ts', import.meta.url).pathname;

async function run(mode: string, writers: number, count: number, inflight: number, fsync: boolean): Promise<number> {
  const { dir, cleanup } = scratch('append');
  try {
    const file = join(dir, 'messages.jsonl');
    const results = await Promise.all(
      Array.from({ length: writers }, (_, w) => resultOf<{ start: number; end: number }>(spawnTs([WRITER, mode, file, String(count), String(inflight), String(fsync), `w${w}`]))),
    );
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const ids = new Set<string>();
    for (const line of lines) {
      const parsed = parseLine(line);
      if (!parsed.ok) throw new Error(`${mode}: a torn or malformed line: ${line.slice(0, 80)}`);
      ids.add(parsed.message.id);
    }
    if (lines.length !== writers * count || ids.size !== writers * count) {
      throw new Error(`${mode}: expected ${writers * count} lines, found ${lines.length} (${ids.size} distinct)`);
    }
    const wall = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
    return (writers * count) / (wall / 1000);
  } finally {
    cleanup();
  }
}

export async function appendThroughput(): Promise<void> {
  const writers = arg('writers', 3);
  const count = arg('count', 20_000);
  const fsyncCount = arg('fsync-count', 2_000);
  const rows: Array<[string, number, number]> = [];
  rows.push(['seed: appendFile, no lock, no fsync', count, await run('seed', writers, count, 1, false)]);
  rows.push(['agentnet, 1 in flight per process', count, await run('agentnet', writers, count, 1, false)]);
  rows.push(['agentnet, 32 in flight (group commit)', count, await run('agentnet', writers, count, 32, false)]);
  rows.push(['agentnet + fsync, 1 in flight', fsyncCount, await run('agentnet', writers, fsyncCount, 1, true)]);
  rows.push(['agentnet + fsync, 32 in flight', fsyncCount, await run('agentnet', writers, fsyncCount, 32, true)]);
  console.log(`\nappend throughput: ${writers} writer processes at once (every line verified whole and unique)`);
  console.log(`${'writer'.padEnd(40)} ${'msgs/process'.padStart(13)} ${'msgs/s total'.padStart(14)}`);
  for (const [name, n, rate] of rows) console.log(`${name.padEnd(40)} ${String(n).padStart(13)} ${Math.round(rate).toLocaleString('en-US').padStart(14)}`);
}

if (import.meta.main) await appendThroughput();
