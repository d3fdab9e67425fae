/**
 * The network the relay benchmarks run as processes: kami (WhatsApp on a fake Green API) and
 * claude (orchestrator on a fake Anthropic API that answers "All servers healthy." at once).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeAnthropic } from '../../test/fakes/fake-anthropic.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../../test/fakes/fake-green-api.ts';
import { BENCH_DIR, scratch } from './util.ts';

export const ANSWER = 'All servers healthy.';

export interface RelayNetwork {
  dir: string;
  fake: FakeGreenApi;
  stop(): Promise<void>;
}

/** Starts the two agents for `count` owner messages (and a margin), `extraYaml` appended to the config; resolves once both answer /health. */
export async function startRelayNetwork(o: { name: string; count: number; owner: string; basePort: number; extraYaml?: string }): Promise<RelayNetwork> {
  const { dir, cleanup } = scratch(o.name);
  const fake = await startFakeGreenApi();
  const model = await startFakeAnthropic();
  model.script(...Array.from({ length: o.count + 40 }, () => ({ reply: { text: ANSWER } })));
  const ports = [o.basePort, o.basePort + 1];
  writeFileSync(
    join(dir, 'agentnet.yaml'),
    `network: bench
bridge: { pollIntervalMs: 1000 }
agents:
  claude:
    role: orchestrator
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: sk-ant-bench-0123456789, baseUrl: "${model.url}" }
    health: { port: ${ports[0]} }
  kami:
    role: relay
    health: { port: ${ports[1]} }
    channel: { type: whatsapp, apiUrl: "${fake.url}", idInstance: "${fake.idInstance}", apiToken: ${fake.apiToken}, receiveTimeoutS: 5, owners: ["${o.owner}"], language: en, pace: { perChatMs: 0, perInstanceMs: 0 } }
    relay: { watchMs: 0 }
${o.extraYaml ?? ''}`,
  );
  const procs = ['claude', 'kami'].map((a) => spawn(process.execPath, [join(BENCH_DIR, '..', 'bin', 'agentnet.js'), 'run', a, '--quiet'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] }));
  const stop = async () => {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await fake.close();
    await model.close();
    cleanup();
  };
  try {
    for (const p of ports) while (!(await fetch(`http://127.0.0.1:${p}/health`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 100));
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, fake, stop };
}
