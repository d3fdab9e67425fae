/**
 * A seed-style bridge writer for tests: appends one line per appendFileSync call (open, O_APPEND
 * write, close) and takes NO lock, as the seed's own agents do.
 * argv: <bridge path> <id prefix> <stop file> [lines per burst, default 20] [pause ms after a burst, default 1]
 * Prints "started" after its first line; once the stop file exists, prints "wrote <count>"
 * (ids are `<prefix>-0` … `<prefix>-<count-1>`) and exits.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [path, prefix, stopFile, burst, pause] = process.argv.slice(2);
const burstLines = Number(burst ?? 20);
const pauseMs = Number(pause ?? 1);
let count = 0;
const line = (i: number) =>
  JSON.stringify({ ts: new Date().toISOString(), from: 'seed', type: 'request', id: `${prefix}-${i}`, content: `lockless line ${i}`, status: 'pending' }) + '\n';

appendFileSync(path!, line(count++));
process.stdout.write('started\n');
while (!existsSync(stopFile!)) {
  for (let n = 0; n < burstLines; n++) appendFileSync(path!, line(count++));
  if (pauseMs > 0) await sleep(pauseMs);
}
process.stdout.write(`wrote ${count}\n`);
