/** One writer process of the throughput benchmark. argv: <mode> <file> <count> <inflight> <fsync> <prefix> */
import { appendFileSync } from 'node:fs';
import { createJsonlBridge } from '../src/bridge/index.ts';
import { now } from './lib/util.ts';

const [mode, file, countArg, inflightArg, fsyncArg, prefix] = process.argv.slice(2);
const count = Number(countArg);
const inflight = Number(inflightArg);
const content = 'deploy finished: api v2.3.1 on staging, health checks green, 0 errors in the last 5 minutes';
const start = now();
if (mode === 'agentnet') {
  const bridge = createJsonlBridge({ path: file!, fsync: fsyncArg === 'true' });
  let next = 0;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < count) {
        const i = next++;
        await bridge.append({ from: 'kaylee', type: 'notification', id: `${prefix}-${i}`, content });
      }
    }),
  );
  await bridge.close();
} else {
  // The seed's writer: appendFile of one line, no lock, no fsync.
  for (let i = 0; i < count; i++) {
    appendFileSync(file!, JSON.stringify({ ts: new Date().toISOString(), from: 'kaylee', type: 'notification', id: `${prefix}-${i}`, content, status: 'pending' }) + '\n');
  }
}
process.stdout.write(JSON.stringify({ start, end: now() }) + '\n');
