/** One worker process of the queue benchmark. argv: store <store spec JSON> <worker> <batch> ; prints {start, end, done} */
import { now } from './lib/util.ts';

const [system, target, worker, batchArg] = process.argv.slice(2);
const batch = Number(batchArg ?? 1);

if (system === 'store') {
  const { openStore } = await import('../src/store/index.ts');
  const store = await openStore(JSON.parse(target!));
  let done = 0;
  const start = now();
  for (;;) {
    if (batch > 1) {
      const tasks = await store.queue.claimBatch({ worker: worker!, leaseMs: 60_000, max: batch });
      if (tasks.length === 0) break;
      const { completed } = await store.queue.completeBatch(worker!, tasks.map((t) => ({ id: t.id, result: null })));
      done += completed.length;
      continue;
    }
    const t = await store.queue.claim({ worker: worker!, leaseMs: 60_000 });
    if (!t) break;
    await store.queue.complete(t.id, worker!, null);
    done++;
  }
  process.stdout.write(JSON.stringify({ start, end: now(), done }) + '\n');
  await store.close();
}
