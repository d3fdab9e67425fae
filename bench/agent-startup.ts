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
import { AGENT_NODE_FLAGS } from '../src/ops/supervisor.ts';
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

/** Resident memory, and the part of it private to the process (the rest is mostly the node binary's pages, shared by every agent on the host). */
function memoryMiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
  return { rss: kB('VmRSS'), anon: kB('RssAnon') };
}

async function measure(args: string[], port: number): Promise<{ startMs: number; rss: number; anon: number }> {
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
  const { rss, anon } = memoryMiB(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { startMs, rss, anon };
}

export async function agentStartup(): Promise<void> {
  const runs = arg('runs', 10);
  const { dir, cleanup } = scratch('startup');
  try {
    // What npm installs is the compiled dist/: build a copy of it beside the scratch config.
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')]);
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    type Samples = { start: number[]; rss: number[]; anon: number[] };
    const rows = new Map<string, Samples>();
    const add = (name: string, m: { startMs: number; rss: number; anon: number }) => {
      const r = rows.get(name) ?? { start: [], rss: [], anon: [] };
      r.start.push(m.startMs);
      r.rss.push(m.rss);
      r.anon.push(m.anon);
      rows.set(name, r);
    };
    const config = join(dir, 'agentnet.yaml');
    for (let i = 0; i < runs; i++) {
      const port = await freePort();
      add('bare Node 24 HTTP server', await measure(['-e', `require('http').createServer((q,s)=>s.end('{"status":"ok"}')).listen(${port},'127.0.0.1')`], port));
      // The floor the libraries set: the same server after importing zod, yaml and pino (no agentnet code).
      const fport = await freePort();
      const libs = ['zod', 'yaml', 'pino'].map((m) => `await import(${JSON.stringify(import.meta.resolve(m))});`).join('');
      add('floor: + zod, yaml, pino (no agentnet code)', await measure([...AGENT_NODE_FLAGS, '--input-type=module', '-e', `${libs}process.getBuiltinModule('node:http').createServer((q,s)=>s.end('{}')).listen(${fport},'127.0.0.1')`], fport));
      for (const [agent, role] of [['claude', 'orchestrator'], ['kami', 'relay'], ['kaylee', 'autonomous']] as const) {
        const aport = await freePort();
        writeFileSync(config, `network: bench\nagents:\n  ${agent}: { role: ${role}, health: { port: ${aport} } }\n`);
        const run = ['run', agent, '--quiet', '--config', config];
        // As `up` and systemd units start it (with AGENT_NODE_FLAGS), from the compiled dist/ npm installs.
        add(`${agent} (${role}), as up/systemd run it`, await measure([...AGENT_NODE_FLAGS, join(dir, 'dist', 'cli', 'run.js'), ...run], aport));
        if (agent !== 'claude') continue;
        add(`${agent}, agentnet run by hand (no flags)`, await measure([join(dir, 'dist', 'cli', 'run.js'), ...run], aport));
        add(`${agent}, by hand from the TypeScript source`, await measure([BIN, ...run], aport));
      }
    }
    console.log(`\nagent process: spawn -> first /health 200, and memory after 2 s idle (${runs} runs, median and max; "private" = RssAnon, the rest is shared file pages)`);
    console.log(`${'process'.padEnd(44)} ${'start p50'.padStart(10)} ${'start max'.padStart(10)} ${'RSS p50'.padStart(10)} ${'RSS max'.padStart(10)} ${'private p50'.padStart(12)}`);
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    const mib = (x: number) => `${x.toFixed(1)} MiB`;
    for (const [name, r] of rows) {
      const s = sorted(r.start);
      const m = sorted(r.rss);
      console.log(`${name.padEnd(44)} ${ms(percentile(s, 50)).padStart(10)} ${ms(s[s.length - 1]!).padStart(10)} ${mib(percentile(m, 50)).padStart(10)} ${mib(m[m.length - 1]!).padStart(10)} ${mib(percentile(sorted(r.anon), 50)).padStart(12)}`);
    }
  } finally {
    cleanup();
  }
}

if (import.meta.main) await agentStartup();
