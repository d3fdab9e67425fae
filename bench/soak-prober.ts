/**
 * The soak's /health prober, in a process of its own so that its figures are the agents' and
 * not the soak's own event loop. argv: <ports JSON {agent: port}> <out file>. Probes every
 * agent once a second; on SIGTERM writes {agent: {probes, failed, latencies}} to the file.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [portsJson, out] = process.argv.slice(2) as [string, string];
const ports = JSON.parse(portsJson) as Record<string, number>;
const result: Record<string, { probes: number; failed: number; latencies: number[] }> = Object.fromEntries(Object.keys(ports).map((a) => [a, { probes: 0, failed: 0, latencies: [] }]));
let running = true;
process.on('SIGTERM', () => (running = false));
while (running) {
  for (const [agent, port] of Object.entries(ports)) {
    const t0 = performance.now();
    try {
      await (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) })).arrayBuffer();
      result[agent]!.latencies.push(performance.now() - t0);
    } catch {
      result[agent]!.failed++;
    }
    result[agent]!.probes++;
  }
  await sleep(1000);
}
writeFileSync(out, JSON.stringify(result));
