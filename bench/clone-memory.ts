/**
 * The whole network's memory as a user starting from a clone gets it: `agentnet up` with the
 * seed's three agents (offline model, dashboard on), once running the compiled dist/ (what
 * `npm install` builds in a clone) and once the TypeScript source (AGENTNET_SOURCE=1, what a
 * clone ran before). After the network has idled, RSS, PSS and private memory of `up` and each
 * agent from /proc/PID/smaps_rollup; PSS summed is what the network costs the machine.
 *
 *   node bench/clone-memory.ts [--idle 20]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { arg, scratch } from './lib/util.ts';

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

interface Mem { rss: number; pss: number; priv: number }

function memory(pid: number): Mem {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kB = (f: string) => Number(new RegExp(`^${f}:\\s+(\\d+) kB`, 'm').exec(text)![1]) / 1024;
  return { rss: kB('Rss'), pss: kB('Pss'), priv: kB('Private_Clean') + kB('Private_Dirty') };
}

function newest(dir: string): number {
  let t = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
  return t;
}

async function network(source: boolean, idleS: number): Promise<Record<string, Mem>> {
  const { dir, cleanup } = scratch('clone-memory');
  const ports = { claude: await freePort(), kami: await freePort(), kaylee: await freePort(), dashboard: await freePort() };
  writeFileSync(
    join(dir, 'agentnet.yaml'),
    `network: bench\ndashboard: { port: ${ports.dashboard} }\nagents:\n` +
      `  claude: { role: orchestrator, health: { port: ${ports.claude} } }\n` +
      `  kami: { role: relay, health: { port: ${ports.kami} } }\n` +
      `  kaylee: { role: autonomous, health: { port: ${ports.kaylee} } }\n`,
  );
  const up: ChildProcess = spawn(process.execPath, [BIN, 'up'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AGENTNET_SOURCE: source ? '1' : '' } });
  let out = '';
  up.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  while (!out.includes('Ctrl-C')) await sleep(50);
  await sleep(idleS * 1000);
  const result: Record<string, Mem> = { up: memory(up.pid!) };
  for (const name of ['claude', 'kami', 'kaylee'] as const) {
    const h = (await (await fetch(`http://127.0.0.1:${ports[name]}/health`)).json()) as { pid: number };
    result[name] = memory(h.pid);
  }
  const closed = new Promise((r) => up.once('close', r));
  up.kill('SIGTERM');
  await closed;
  cleanup();
  return result;
}

const idle = arg('idle', 20);
const stamp = join(ROOT, 'dist', 'BUILT');
if (!existsSync(stamp) || statSync(stamp).mtimeMs < newest(join(ROOT, 'src'))) {
  console.error('dist/ is missing or older than src/: run npm run build first');
  process.exit(1);
}
const f = (x: number) => `${x.toFixed(1)} MiB`;
console.log(`| build | process | RSS | PSS | private |\n| --- | --- | ---: | ---: | ---: |`);
for (const source of [false, true]) {
  const r = await network(source, idle);
  const label = source ? 'TypeScript source' : 'compiled dist/';
  for (const [name, m] of Object.entries(r)) console.log(`| ${label} | ${name} | ${f(m.rss)} | ${f(m.pss)} | ${f(m.priv)} |`);
  const sum = Object.values(r).reduce((a, m) => a + m.pss, 0);
  console.log(`| ${label} | **network (3 agents + up), PSS summed** | | **${f(sum)}** | |`);
}
