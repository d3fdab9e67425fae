/**
 * Agent process cost: time from spawn to the first `GET /health` 200, and resident memory
 * after 2 s idle, for `agentnet run <agent>` (offline model) beside a bare Node HTTP server
 * in the same run. Targets: <= 300 ms and <= 60 MiB.
 *
 *   node bench/agent-startup.ts [--runs 10]
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { arg, ms, now, percentile, scratch } from './lib/util.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'agentnet.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function measure(args: string[], port: number): Promise<{ startMs: number; rss: number }> {
  const t0 = now();
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
    } catch {
      /* not yet */
    }
    await sleep(2);
  }
  const startMs = now() - t0;
  await sleep(2000);
  const rss = rssMiB(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { startMs, rss };
}

export async function agentStartup(): Promise<void> {
  const runs = arg('runs', 10);
  const { dir, cleanup } = scratch('startup');
  try {
    // What npm installs is the compiled dist/: build a copy of it beside the scratch config.
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')]);
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const rows: Array<[string, number[], number[]]> = [];
    const bare: number[][] = [[], []];
    const agent: number[][] = [[], []];
    const compiled: number[][] = [[], []];
    for (let i = 0; i < runs; i++) {
      const port = await freePort();
      const b = await measure(['-e', `require('http').createServer((q,s)=>s.end('{"status":"ok"}')).listen(${port},'127.0.0.1')`], port);
      bare[0]!.push(b.startMs);
      bare[1]!.push(b.rss);
      const aport = await freePort();
      writeFileSync(join(dir, 'agentnet.yaml'), `network: bench\nagents:\n  claude: { role: orchestrator, health: { port: ${aport} } }\n`);
      const a = await measure([BIN, 'run', 'claude', '--quiet', '--config', join(dir, 'agentnet.yaml')], aport);
      agent[0]!.push(a.startMs);
      agent[1]!.push(a.rss);
      const c = await measure([join(dir, 'dist', 'cli', 'run.js'), 'run', 'claude', '--quiet', '--config', join(dir, 'agentnet.yaml')], aport);
      compiled[0]!.push(c.startMs);
      compiled[1]!.push(c.rss);
    }
    rows.push(
      ['bare Node 24 HTTP server', bare[0]!, bare[1]!],
      ['agentnet run, compiled (npm install)', compiled[0]!, compiled[1]!],
      ['agentnet run, TypeScript source', agent[0]!, agent[1]!],
    );
    console.log(`\nagent process: spawn -> first /health 200, and RSS after 2 s idle (${runs} runs, median and max)`);
    console.log(`${'process'.padEnd(38)} ${'start p50'.padStart(10)} ${'start max'.padStart(10)} ${'RSS p50'.padStart(10)} ${'RSS max'.padStart(10)}`);
    for (const [name, start, rss] of rows) {
      const s = [...start].sort((x, y) => x - y);
      const r = [...rss].sort((x, y) => x - y);
      console.log(`${name.padEnd(38)} ${ms(percentile(s, 50)).padStart(10)} ${ms(s[s.length - 1]!).padStart(10)} ${`${percentile(r, 50).toFixed(1)} MiB`.padStart(10)} ${`${r[r.length - 1]!.toFixed(1)} MiB`.padStart(10)}`);
    }
  } finally {
    cleanup();
  }
}

if (import.meta.main) await agentStartup();
