/**
 * A writer process of the soak. argv: <mode> <bridge file> <name> <perSecond> <seconds> <owner chat> <poisonEvery> [<poisonSeconds>]
 *   lockless  the seed's own agents: fs.appendFileSync of a whole JSON line, no lock, no `to`
 *   locked    agentnet's append (the bridge lock)
 * Each request carries the marker [soak:<id>] the fake model echoes. Every id written is
 * appended to <bridge dir>/../soak/<name>.ids once its write returned, so the account knows
 * exactly what was sent. With poisonEvery > 0, every Nth lockless request is a poison line
 * (alternately 2 MiB of content and metadata nested 100,000 deep), listed in <name>.poison, for
 * the first <poisonSeconds> (default: the whole run).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJsonlBridge } from '../src/bridge/index.ts';

const [mode, file, name, perSecondArg, secondsArg, chat, poisonArg, poisonSecondsArg] = process.argv.slice(2) as [string, string, string, string, string, string, string, string | undefined];
const perSecond = Number(perSecondArg);
const endAt = Date.now() + Number(secondsArg) * 1000;
const poisonEvery = Number(poisonArg ?? 0);
const poisonUntil = poisonSecondsArg === undefined ? endAt : Date.now() + Number(poisonSecondsArg) * 1000;
const out = join(dirname(file), '..', 'soak');
mkdirSync(out, { recursive: true });
const idsFile = join(out, `${name}.ids`);
const poisonFile = join(out, `${name}.poison`);
const bridge = mode === 'locked' ? createJsonlBridge({ path: file }) : undefined;

function poisonLine(id: string, i: number): string {
  const ts = new Date().toISOString();
  if (i % 2 === 0) return JSON.stringify({ ts, from: 'kami', type: 'request', id, content: `[soak:${id}] ${'x'.repeat(2 * 1024 * 1024)}`, status: 'pending', metadata: { whatsapp_sender: chat } });
  return `{"ts":"${ts}","from":"kami","type":"request","id":"${id}","content":"[soak:${id}] deep","status":"pending","metadata":{"whatsapp_sender":"${chat}","n":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`;
}

let i = 0;
let poisons = 0;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
const start = Date.now();
while (Date.now() < endAt && !stopping) {
  const id = `${name}-${i}`;
  if (mode === 'lockless') {
    if (poisonEvery > 0 && i > 0 && i % poisonEvery === 0 && Date.now() < poisonUntil) {
      const pid = `${name}-poison-${poisons}`;
      appendFileSync(file, poisonLine(pid, poisons++) + '\n');
      appendFileSync(poisonFile, pid + '\n');
    }
    const line = { ts: new Date().toISOString(), from: 'kami', type: 'request', id, content: `[soak:${id}] how is the server?`, status: 'pending', metadata: { whatsapp_sender: chat } };
    appendFileSync(file, JSON.stringify(line) + '\n');
  } else {
    await bridge!.append({ from: 'kami', to: 'claude', type: 'request', id, content: `[soak:${id}] deploy status?`, metadata: { whatsapp_sender: chat } });
  }
  appendFileSync(idsFile, id + '\n');
  i++;
  // Paced from the start, so a slow write does not lower the rate.
  await sleep(Math.max(0, start + (i * 1000) / perSecond - Date.now()));
}
await bridge?.close();
process.stdout.write(`${i}\n`);
