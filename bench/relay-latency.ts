/**
 * Relay latency through a fake Green API, with the relay and the orchestrator as real processes:
 *  - overhead: a WhatsApp notification in → the acknowledgement out (no model time: the relay
 *    escalates at once);
 *  - round trip: notification in → the orchestrator's answer (an instant fake model) out,
 *    through the bridge.
 * Baseline in the same run: a bare echo loop (receiveNotification → sendMessage →
 * deleteNotification, nothing recorded) on the same fake, the floor any relay pays. The seed's
 * design polls the bridge every 30 s, so its round trip is 0–30 s plus the model.
 *
 * node bench/relay-latency.ts [--count 300]
 */
import { parseArgs } from 'node:util';
import { GreenApiClient } from '../src/channels/index.ts';
import { startFakeGreenApi, type FakeGreenApi, type SentMessage } from '../test/fakes/fake-green-api.ts';
import { startRelayNetwork } from './lib/relay-network.ts';
import { ms, now, summarize, type Summary } from './lib/util.ts';

const OWNER = '972501234567';
const CHAT = `${OWNER}@c.us`;

/** Resolves when the fake receives the next sendMessage, with the monotonic time it arrived. */
function watchSent(fake: FakeGreenApi) {
  const waiters: Array<(m: SentMessage & { t: number }) => void> = [];
  const push = fake.sent.push.bind(fake.sent);
  fake.sent.push = (...items: SentMessage[]) => {
    const t = now();
    for (const m of items) waiters.shift()?.({ ...m, t });
    return push(...items);
  };
  return () => new Promise<SentMessage & { t: number }>((r) => waiters.push(r));
}

async function measure(fake: FakeGreenApi, count: number, replies: 1 | 2, warmup = 20) {
  const next = watchSent(fake);
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const a = next();
    const b = replies === 2 ? next() : undefined;
    const t0 = now();
    fake.incoming({ from: OWNER, text: `check server ${i}` });
    const ack = await a;
    const answer = await b;
    if (i < warmup) continue;
    first.push(ack.t - t0);
    if (answer) second.push(answer.t - t0);
  }
  return { first: summarize(first), second: summarize(second) };
}

async function echoLoop(fake: FakeGreenApi, stop: AbortSignal) {
  const client = new GreenApiClient({ apiUrl: fake.url, idInstance: fake.idInstance, apiToken: fake.apiToken });
  while (!stop.aborted) {
    const n = await client.receiveNotification(5, stop).catch(() => null);
    if (!n) continue;
    await client.sendMessage(CHAT, 'ok');
    await client.deleteNotification(n.receiptId);
  }
}

export async function relayLatency(argv: string[] = []) {
  const { values } = parseArgs({ args: argv, options: { count: { type: 'string', default: '300' } } });
  const count = Number(values.count);
  const rows: Array<[string, Summary]> = [];

  // Baseline: the bare echo loop.
  {
    const fake = await startFakeGreenApi();
    const stop = new AbortController();
    const loop = echoLoop(fake, stop.signal);
    rows.push(['floor: bare echo loop (poll → send → delete, nothing recorded)', (await measure(fake, count, 1)).first]);
    stop.abort();
    await loop.catch(() => undefined);
    await fake.close();
  }

  // agentnet: kami (relay) and claude (orchestrator, instant fake model) as processes.
  const { fake, stop } = await startRelayNetwork({ name: 'relay', count, owner: OWNER, basePort: 47_000 + Math.floor(Math.random() * 1000) * 2 });
  try {
    const r = await measure(fake, count, 2);
    rows.push(['**agentnet relay: notification in → acknowledgement out**', r.first]);
    rows.push(['**agentnet: notification in → orchestrator answer out (bridge round trip, instant model)**', r.second]);
  } finally {
    await stop();
  }
  console.log(`\n## Relay latency (${count} messages, one at a time)\n`);
  console.log('| path | n | p50 | p99 | max |\n| --- | ---: | ---: | ---: | ---: |');
  for (const [name, s] of rows) console.log(`| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`);
  console.log('| the seed: Kami polls the bridge every 30 s | – | 15 s | 29.7 s | 30 s |');
}

if (import.meta.main) await relayLatency(process.argv.slice(2));
