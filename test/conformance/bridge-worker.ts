/**
 * A separate process that uses a bridge, for the conformance suite's multi-process cases.
 * argv: <spec JSON> <action> <options JSON>
 *   append   {from, prefix, count, markDone?}  appends `${prefix}-${i}` in order (optionally marking each odd one done)
 *   consume  {consumer, hangOn}                 prints "got <id> <status>" per record; hangs on `hangOn`
 *   answer   {from, ids}                        answers each request of `ids`; prints "answered <id>" or "not <id> <reason>"
 */
import { openBridge, type BridgeSpec } from '../../src/bridge/index.ts';

const [specJson, action, optionsJson] = process.argv.slice(2);
const spec = JSON.parse(specJson!) as BridgeSpec;
const options = JSON.parse(optionsJson ?? '{}') as Record<string, unknown>;
const bridge = await openBridge(spec);

if (action === 'append') {
  const { from, prefix, count, markDone } = options as { from: string; prefix: string; count: number; markDone?: boolean };
  for (let i = 0; i < count; i++) {
    const m = await bridge.append({ from, to: 'sink', type: 'request', id: `${prefix}-${i}`, content: `${prefix} message ${i}` });
    if (markDone && i % 2 === 1) await bridge.markDone(m);
  }
  await bridge.close();
  process.stdout.write('ok\n');
} else if (action === 'consume') {
  const { consumer, hangOn, from } = options as { consumer: string; hangOn?: string; from?: 'start' | 'end' };
  const sub = bridge.subscribe({ consumer, from: from ?? 'start' }, async (m) => {
    process.stdout.write(`got ${m.id} ${m.status}\n`);
    if (m.id === hangOn) await new Promise(() => {}); // crash here: the parent kills us
  });
  await sub.ready;
  process.stdout.write('ready\n');
} else if (action === 'answer') {
  const { from, ids } = options as { from: string; ids: string[] };
  for (const id of ids) {
    const r = await bridge.answer(id, { from, content: `${from} answers ${id}` });
    process.stdout.write(r.answered ? `answered ${id}\n` : `not ${id} ${r.reason}\n`);
  }
  await bridge.close();
} else {
  throw new Error(`unknown action ${action}`);
}
