/**
 * Does an agent stay responsive while it drains a backlog? The orchestrator (offline model) is
 * paused, N requests are queued, and it is resumed; /health is probed every 20 ms through the
 * drain. Prints /health latency idle (baseline, same run) and during the drain, and the drain
 * rate. The monitor gives /health 3 s; the target is under 100 ms at any backlog.
 *   node bench/backlog-health.ts [--requests 3000]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJsonlBridge } from '../src/bridge/index.ts';
import { freePort } from '../test/helpers/util.ts';
import { BENCH_DIR, ms, now, scratch, spawnTs, summarize } from './lib/util.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' } } });
const n = Number(values.requests);
const BIN = join(BENCH_DIR, '..', 'bin', 'agentnet.js');

async function probe(url: string): Promise<number> {
  const t0 = now();
  await (await fetch(url)).arrayBuffer();
  return now() - t0;
}

const s = scratch('backlog');
try {
  const port = await freePort();
  const config = join(s.dir, 'agentnet.yaml');
  writeFileSync(config, `network: bench\nbridge: { pollIntervalMs: 100 }\nagents:\n  claude: { role: orchestrator, health: { port: ${port} } }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n`);
  mkdirSync(join(s.dir, '.agentnet'), { recursive: true });
  writeFileSync(join(s.dir, '.agentnet', 'PAUSE'), 'bench\n');
  const bridge = createJsonlBridge({ path: join(s.dir, '.agentnet', 'bridge', 'messages.jsonl') });
  for (let i = 0; i < n; i++) await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: `backlog ${i}` });
  const agent = spawnTs([BIN, 'run', 'claude', '-c', config, '--quiet']);
  const url = `http://127.0.0.1:${port}/health`;
  for (;;) {
    try {
      await probe(url);
      break;
    } catch {
      await sleep(50);
    }
  }
  const idle: number[] = [];
  for (let i = 0; i < 50; i++) {
    idle.push(await probe(url));
    await sleep(20);
  }
  rmSync(join(s.dir, '.agentnet', 'PAUSE'));
  const start = now();
  const during: number[] = [];
  let answered = 0;
  for (;;) {
    during.push(await probe(url));
    answered = (await bridge.list({ type: 'response' })).length;
    if (answered >= n) break;
    await sleep(20);
  }
  const drainMs = now() - start;
  agent.kill('SIGTERM');
  await bridge.close();
  const a = summarize(idle);
  const d = summarize(during);
  console.log(`backlog of ${n} requests, drained in ${ms(drainMs)} (${Math.round((n / drainMs) * 1000)} requests/s)`);
  console.log(`/health idle (baseline): p50 ${ms(a.p50)}  p99 ${ms(a.p99)}  max ${ms(a.max)}  (${a.n} probes)`);
  console.log(`/health while draining:  p50 ${ms(d.p50)}  p99 ${ms(d.p99)}  max ${ms(d.max)}  (${d.n} probes)`);
} finally {
  s.cleanup();
}
