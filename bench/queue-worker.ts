/** One worker process of the queue benchmark. argv: <system> <target> <worker> ; prints {start, end, done} */
import { now } from './lib/util.ts';

const [system, target, worker] = process.argv.slice(2);

if (system === 'sqlite') {
  const { createSqliteStore } = await import('../src/store/index.ts');
  const store = createSqliteStore({ path: target! });
  let done = 0;
  const start = now();
  for (;;) {
    const t = await store.queue.claim({ worker: worker!, leaseMs: 60_000 });
    if (!t) break;
    await store.queue.complete(t.id, worker!, null);
    done++;
  }
  process.stdout.write(JSON.stringify({ start, end: now(), done }) + '\n');
  await store.close();
}
