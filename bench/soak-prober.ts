/**
 * The soak's /health prober, in a process of its own so that its figures are the agents' and
 * not the soak's own event loop. argv: <ports JSON {agent: port}> <out file>. Probes every
 * agent once a second, and every 5 s reads the agent's own worst event-loop delay from its
 * /metrics; on SIGTERM writes {agent: {probes, failed, latencies, loopLagMaxMs, slow}} to the file, where
 * `slow` holds the time (ms since the epoch) and latency of every probe over 100 ms, so that the soak
 * can tell a slow answer during chaos (a restart, a rotation) from one in the steady phase.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [portsJson, out] = process.argv.slice(2) as [string, string];
const ports = JSON.parse(portsJson) as Record<string, number>;
const result: Record<string, { probes: number; failed: number; latencies: number[]; loopLagMaxMs: number; slow: Array<[number, number]> }> = Object.fromEntries(
  Object.keys(ports).map((a) => [a, { probes: 0, failed: 0, latencies: [], loopLagMaxMs: 0, slow: [] }]),
);

/** The agent's own worst event-loop delay since the last scrape (prom-client resets it on each). */
async function loopLag(agent: string, port: number): Promise<void> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const v = Number(/^agentnet_nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1]);
    if (Number.isFinite(v)) result[agent]!.loopLagMaxMs = Math.max(result[agent]!.loopLagMaxMs, v * 1000);
  } catch {
    /* down or restarting: the /health probe counts that */
  }
}
let running = true;
process.on('SIGTERM', () => (running = false));
for (let round = 0; running; round++) {
  if (round % 5 === 0) await Promise.all(Object.entries(ports).map(([agent, port]) => loopLag(agent, port)));
  for (const [agent, port] of Object.entries(ports)) {
    const t0 = performance.now();
    try {
      await (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) })).arrayBuffer();
      const ms = performance.now() - t0;
      result[agent]!.latencies.push(ms);
      if (ms > 100) result[agent]!.slow.push([Date.now(), Math.round(ms)]);
    } catch {
      result[agent]!.failed++;
    }
    result[agent]!.probes++;
  }
  await sleep(1000);
}
writeFileSync(out, JSON.stringify(result));
