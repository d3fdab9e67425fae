/** Increments a counter file `times` times under the bridge lock: mutual exclusion across processes. */
import { readFileSync, writeFileSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { acquireFileLock } from '../../src/bridge/lock.ts';

const [lockPath, counterPath, times] = process.argv.slice(2);
for (let i = 0; i < Number(times); i++) {
  const lock = await acquireFileLock(lockPath!);
  const n = Number(readFileSync(counterPath!, 'utf8'));
  await setImmediate(); // widen the window a lost update would need
  writeFileSync(counterPath!, String(n + 1));
  lock.release();
}
