/**
 * A separate process that uses a store, for the multi-process conformance cases.
 * argv: <spec JSON> <action> <options JSON>
 *   work      {worker, leaseMs, batch?}    claims and completes tasks until none is left (with batch: claimBatch/completeBatch of that size); prints "claimed <id>", "done <id>"; hangs on a task whose payload.hang is true
 *   increment {by, times}                  compare-and-set increments of memory counters/n, retrying on conflict
 *   decide    {codes, decision, by}        prints "ready", waits for "go" on stdin, then answers each code; prints "<code> <outcome>"
 *   request   {keys, agent}                prints "ready", waits for "go" on stdin, then asks for each key; prints "<key> <id> <code> <created>"
 *   runs      {dues, agent, schedule, task?} prints "ready", waits for "go", records each slot (missed unless `task`: then `<task>-<due>`); prints
 *                                          "<due> <created>", then claims the missed runs: "claimed <due>" for each it got
 */
import { openStore, type StoreSpec } from '../../src/store/index.ts';

const [specJson, action, optionsJson] = process.argv.slice(2);
const store = await openStore(JSON.parse(specJson!) as StoreSpec);
const options = JSON.parse(optionsJson ?? '{}') as Record<string, unknown>;

if (action === 'work') {
  const { worker, leaseMs, idleExitMs, batch } = options as { worker: string; leaseMs: number; idleExitMs?: number; batch?: number };
  let idleSince = Date.now();
  for (;;) {
    if (batch) {
      const tasks = await store.queue.claimBatch({ worker, leaseMs, max: batch });
      if (tasks.length === 0) {
        if (Date.now() - idleSince > (idleExitMs ?? 300)) break;
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      idleSince = Date.now();
      for (const t of tasks) process.stdout.write(`claimed ${t.id}\n`);
      const { completed } = await store.queue.completeBatch(worker, tasks.map((t) => ({ id: t.id, result: { by: worker } })));
      for (const t of completed) process.stdout.write(`done ${t.id}\n`);
      continue;
    }
    const task = await store.queue.claim({ worker, leaseMs });
    if (!task) {
      if (Date.now() - idleSince > (idleExitMs ?? 300)) break;
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    idleSince = Date.now();
    process.stdout.write(`claimed ${task.id}\n`);
    if ((task.payload as { hang?: boolean } | null)?.hang) await new Promise(() => {}); // killed here
    await store.queue.complete(task.id, worker, { by: worker });
    process.stdout.write(`done ${task.id}\n`);
  }
} else if (action === 'increment') {
  const { by, times } = options as { by: string; times: number };
  for (let i = 0; i < times; i++) {
    for (;;) {
      const cur = await store.memory.get('counters', 'n');
      try {
        await store.memory.set('counters', 'n', ((cur?.value as number) ?? 0) + 1, { by, ifVersion: cur?.version ?? 0 });
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'MEMORY_CONFLICT') throw err;
      }
    }
  }
} else if (action === 'runs') {
  const { dues, agent, schedule, task } = options as { dues: string[]; agent: string; schedule: string; task?: string };
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.setEncoding('utf8').on('data', (d: string) => d.includes('go') && resolve()));
  for (const due of dues) {
    const { created } = await store.scheduleRuns.record({ agent, schedule, due, ...(task ? { task: `${task}-${due}` } : { missed: 'down' as const }) });
    process.stdout.write(`${due} ${created}\n`);
  }
  for (const run of await store.scheduleRuns.claimMissed(agent, schedule)) process.stdout.write(`claimed ${run.due}\n`);
} else if (action === 'decide' || action === 'request') {
  // Both processes are open and waiting before either starts: the race is on the store, not on start-up.
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.setEncoding('utf8').on('data', (d: string) => d.includes('go') && resolve()));
  if (action === 'decide') {
    const { codes, decision, by } = options as { codes: string[]; decision: 'approve' | 'deny'; by: string };
    for (const code of codes) {
      const r = await store.approvals.decide({ code, decision, by, channel: 'test' });
      process.stdout.write(`${code} ${r.outcome}\n`);
    }
  } else {
    const { keys, agent } = options as { keys: string[]; agent: string };
    for (const key of keys) {
      const { approval, created } = await store.approvals.request({ agent, action: { kind: 'deploy', name: 'production' }, reason: 'race', ttlMs: 600_000, actionKey: key });
      process.stdout.write(`${key} ${approval.id} ${approval.code} ${created}\n`);
    }
  }
}
await store.close();
