/**
 * How long can /health be kept waiting by what happens to an agent? The orchestrator (on a fake
 * Anthropic API: its SDK is the heaviest code an agent loads) is probed every 5 ms through:
 *   idle          the baseline, same run
 *   restart       SIGKILLed and started again with its cursor (probes from its first answer, 2 s)
 *   first start   no cursor, over a live file of --lines lines (a seed file brought in, 30 days of traffic)
 *   poison        a lockless writer appends a 2 MiB line, then one nested 100,000 deep (2 s each)
 * The target (issue 16): under 100 ms at every probe.
 *   node bench/health-stalls.ts [--lines 40000] [--restarts 5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeAnthropic } from '../test/fakes/fake-anthropic.ts';
import { freePort } from '../test/helpers/util.ts';
import { arg, BENCH_DIR, ms, now, scratch, summarize } from './lib/util.ts';

const BIN = join(BENCH_DIR, '..', 'bin', 'agentnet.js');
const LINES = arg('lines', 40_000);
const RESTARTS = arg('restarts', 5);
const OWNER_CHAT = '972501234567@c.us';

/** Probes /health every 5 ms for `forMs` from its first answer; latencies in ms. */
async function probe(url: string, forMs: number): Promise<number[]> {
  const out: number[] = [];
  let first: number | undefined;
  while (first === undefined || now() - first < forMs) {
    const t0 = now();
    try {
      await (await fetch(url, { signal: AbortSignal.timeout(5000) })).arrayBuffer();
      first ??= t0;
      out.push(now() - t0);
    } catch {
      if (first !== undefined) throw new Error('the agent stopped answering');
    }
    await sleep(5);
  }
  return out;
}

function seedLines(file: string, n: number): void {
  const ts = new Date().toISOString();
  const chunk: string[] = [];
  for (let i = 0; i < n / 2; i++) {
    chunk.push(JSON.stringify({ ts, from: 'kami', type: 'request', id: `old-${i}`, content: `question ${i}`, status: 'done', metadata: { whatsapp_sender: OWNER_CHAT } }));
    chunk.push(JSON.stringify({ ts, from: 'claude', type: 'response', id: `old-a-${i}`, replyTo: `old-${i}`, content: `answer ${i}`, status: 'done' }));
  }
  appendFileSync(file, chunk.join('\n') + '\n');
}

const poisonLine = (kind: 'large' | 'deep', id: string): string =>
  kind === 'large'
    ? JSON.stringify({ ts: new Date().toISOString(), from: 'kami', type: 'request', id, content: 'x'.repeat(2 * 1024 * 1024), status: 'pending', metadata: { whatsapp_sender: OWNER_CHAT } })
    : `{"ts":"${new Date().toISOString()}","from":"kami","type":"request","id":"${id}","content":"deep","status":"pending","metadata":{"whatsapp_sender":"${OWNER_CHAT}","n":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`;

const s = scratch('health-stalls');
const model = await startFakeAnthropic({ respond: () => ({ reply: { text: 'ok' } }) });
let agent: ChildProcess | undefined;
try {
  const port = await freePort();
  const config = join(s.dir, 'agentnet.yaml');
  writeFileSync(
    config,
    `network: bench\nbridge: { pollIntervalMs: 250 }\ndashboard: { enabled: false }\nagents:\n  claude:\n    role: orchestrator\n    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: sk-ant-bench-0123, baseUrl: "${model.url}", maxRetries: 0 }\n    health: { port: ${port} }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n`,
  );
  const bridgeFile = join(s.dir, '.agentnet', 'bridge', 'messages.jsonl');
  mkdirSync(join(s.dir, '.agentnet', 'bridge'), { recursive: true });
  seedLines(bridgeFile, LINES);
  const url = `http://127.0.0.1:${port}/health`;
  const start = () => (agent = spawn(process.execPath, [BIN, 'run', 'claude', '-c', config, '--quiet'], { cwd: s.dir, stdio: 'ignore' }));
  const kill = async () => {
    agent!.kill('SIGKILL');
    await new Promise((r) => agent!.once('exit', r));
  };
  const rows: Array<[string, number[]]> = [];

  start();
  rows.push([`first start over ${LINES} lines`, await probe(url, 3000)]);
  rows.push(['idle (baseline)', await probe(url, 2000)]);
  const restarts: number[] = [];
  for (let i = 0; i < RESTARTS; i++) {
    await kill();
    start();
    restarts.push(...(await probe(url, 2000)));
  }
  rows.push([`restart with its cursor (${RESTARTS}×)`, restarts]);
  for (const kind of ['large', 'deep'] as const) {
    const probing = probe(url, 2000);
    await sleep(50);
    appendFileSync(bridgeFile, poisonLine(kind, `poison-${kind}`) + '\n');
    rows.push([`poison line: ${kind === 'large' ? '2 MiB' : 'nested 100,000 deep'}`, await probing]);
  }
  await kill();
  agent = undefined;
  // The same first start again, with the live file's index and cursor gone: the read is the file's.
  rmSync(join(s.dir, '.agentnet', 'bridge', 'cursors'), { recursive: true, force: true });
  rmSync(join(s.dir, '.agentnet', 'agents', 'claude', 'processed.ids'), { force: true });
  start();
  rows.push([`first start again, cursor deleted`, await probe(url, 3000)]);

  console.log(`/health of the orchestrator probed every 5 ms (Node ${process.version})`);
  for (const [what, values] of rows) {
    const v = summarize(values);
    console.log(`${what.padEnd(40)} p50 ${ms(v.p50).padStart(9)}  p99 ${ms(v.p99).padStart(9)}  max ${ms(v.max).padStart(9)}  (${v.n} probes)`);
  }
} finally {
  if (agent) agent.kill('SIGKILL');
  await model.close();
  s.cleanup();
}
