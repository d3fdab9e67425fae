/**
 * The SessionStart hook's cost: wall time of `agentnet claude session-start` (what Claude Code
 * waits for before every session), on a bridge of 2 000 messages with 40 pending requests for
 * the orchestrator, beside `node -e 0` in the same run. From the compiled dist/ (what npm
 * installs) and from the TypeScript source (a checkout). Target: <= 150 ms.
 *
 *   node bench/session-start.ts [--runs 20]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, ms, now, percentile, scratch } from './lib/util.ts';

const ROOT = new URL('..', import.meta.url).pathname;

function time(args: string[], runs: number): { p50: number; p99: number; out: string } {
  const times: number[] = [];
  let out = '';
  for (let i = 0; i < runs + 2; i++) {
    const t0 = now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const dt = now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    out = r.stdout;
    if (i >= 2) times.push(dt); // two warm-up runs fill the page cache
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), out };
}

export async function sessionStart(): Promise<void> {
  const runs = arg('runs', 20);
  const { dir, cleanup } = scratch('session-start');
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')]);
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    const bridge = join(dir, 'messages.jsonl');
    const lines: string[] = [];
    const t = Date.now() - 3_600_000;
    for (let i = 0; i < 2000; i++) {
      const pending = i % 50 === 1;
      const m = { ts: new Date(t + i * 1000).toISOString(), from: 'kami', type: 'request', id: `kami-${i}`, content: `message ${i}: ${'x'.repeat(200)}`, status: 'pending', to: i % 2 ? 'claude' : 'kaylee', metadata: { priority: i % 3 ? 'normal' : 'high' } };
      lines.push(JSON.stringify(m));
      if (!pending || m.to !== 'claude') lines.push(JSON.stringify({ ...m, status: 'done' }));
    }
    writeFileSync(bridge, lines.join('\n') + '\n');
    const hookArgs = ['claude', 'session-start', '--bridge', bridge, '--as', 'claude', '--default', '--network', 'bench'];
    const floor = time(['-e', '0'], runs);
    // bin/agentnet.js beside dist/ and no src/: what an npm install runs.
    const dist = time([join(dir, 'bin', 'agentnet.js'), ...hookArgs], runs);
    const source = time([join(ROOT, 'bin', 'agentnet.js'), ...hookArgs], runs);
    const pending = /(\d+) pending requests/.exec(source.out)?.[1];
    if (dist.out !== source.out) throw new Error('dist and source printed different text');
    console.log(`\nsession-start hook (${runs} runs, 2000 messages, ${pending} pending for claude)`);
    console.log('| path | p50 | p99 |\n| --- | ---: | ---: |');
    console.log(`| floor: node -e 0 | ${ms(floor.p50)} | ${ms(floor.p99)} |`);
    console.log(`| **installed (dist/): agentnet claude session-start** | **${ms(dist.p50)}** | **${ms(dist.p99)}** |`);
    console.log(`| checkout (src/, Node strips the types): bin/agentnet.js claude session-start | ${ms(source.p50)} | ${ms(source.p99)} |`);
  } finally {
    cleanup();
  }
}

if (import.meta.main) await sessionStart();
