/**
 * An agent process loads what its role and config use, nothing else: every idle agent pays for
 * each library in memory (grammY ~17 MiB resident, the MCP SDK ~28 MiB; see bench/README.md).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

const RECORDER = new URL('../helpers/record-loads.ts', import.meta.url).pathname;

/** Packages loaded, by name (`@scope/name` or `name`). */
function packagesIn(loadsFile: string): Set<string> {
  const names = new Set<string>();
  for (const url of readFileSync(loadsFile, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) names.add(m[1]!);
  }
  return names;
}

describe('what an agent process loads', () => {
  const t = tempDir('lazy-load');
  after(() => t.cleanup());

  for (const [agent, role] of [['claude', 'orchestrator'], ['kami', 'relay'], ['kaylee', 'autonomous']] as const) {
    it(`agentnet run ${agent} (${role}, offline model, terminal channel) leaves the SDKs, grammY and prom-client unloaded`, async () => {
      const port = await freePort();
      const dir = join(t.dir, agent);
      const config = join(t.dir, `${agent}.yaml`);
      const { writeFileSync } = await import('node:fs');
      writeFileSync(config, `network: lazy\nstateDir: ${dir}\nagents:\n  ${agent}: { role: ${role}, health: { port: ${port} } }\n`);
      const loads = join(t.dir, `${agent}.loads`);
      const child = spawnNode(['--import', RECORDER, BIN, 'run', agent, '--quiet', '--config', config], { env: { AGENTNET_TEST_LOADS: loads } });
      try {
        await waitHealthy(port, agent, child);
        // A health check must not pull in the metrics library either.
        assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
      } finally {
        await stopProcess(child);
      }
      assert.ok(existsSync(loads), 'the recorder saw the process load modules');
      const loaded = packagesIn(loads);
      assert.ok(loaded.has('zod') && loaded.has('pino'), `the recorder works: ${[...loaded].join(', ')}`);
      for (const unused of ['grammy', '@modelcontextprotocol/sdk', '@anthropic-ai/sdk', 'openai', 'pg', 'prom-client', 'playwright-core']) {
        assert.equal(loaded.has(unused), false, `${agent} loaded ${unused}, which its config does not use`);
      }
    });
  }
  // Compiling a module blocks the event loop (the Anthropic SDK: a tenth of a second; Node's
  // fetch on its first request: 15–20 ms): an agent loads all it will run before its health port
  // opens, so a probe during a restart is not kept waiting behind a compile.
  const models = { anthropic: '{ provider: anthropic, name: claude-sonnet-4-6, apiKey: sk-ant-unused-0123, baseUrl: "http://127.0.0.1:9" }', openai: '{ provider: openai, name: gpt-5, apiKey: sk-unused-0123, baseUrl: "http://127.0.0.1:9/v1" }' };
  const starts: Array<[string, string, string]> = [
    ['claude', 'orchestrator', `model: ${models.anthropic}`],
    ['claude', 'orchestrator', `model: ${models.openai}`],
    ['kami', 'relay', `model: ${models.anthropic}, channel: { type: telegram, token: "123456:unused", apiRoot: "http://127.0.0.1:9", owners: [12345] }`],
    ['kami', 'relay', 'channel: { type: whatsapp, apiUrl: "http://127.0.0.1:9", idInstance: "1101", apiToken: "unused0123456789", owners: ["+972501234567"] }'],
    ['kaylee', 'autonomous', `model: ${models.anthropic}`],
  ];
  for (const [agent, role, extra] of starts) {
    it(`agentnet run ${agent} (${role}, ${extra.slice(0, 40)}…) compiles nothing after its health port opens, until it has started`, async () => {
      const port = await freePort();
      const dir = join(t.dir, `${agent}-listen-${port}`);
      const config = join(t.dir, `${agent}-listen-${port}.yaml`);
      const { writeFileSync } = await import('node:fs');
      writeFileSync(config, `network: lazy\nstateDir: ${dir}\nagents:\n  ${agent}: { role: ${role}, health: { port: ${port} }, ${extra} }\n`);
      const loads = join(t.dir, `${agent}-listen-${port}.loads`);
      const child = spawnNode(['--import', RECORDER, BIN, 'run', agent, '--quiet', '--config', config], { env: { AGENTNET_TEST_LOADS: loads } });
      try {
        await waitHealthy(port, agent, child);
        const log = join(dir, 'logs', `${agent}.log`);
        await waitFor(() => existsSync(log) && /"event":"started"/.test(readFileSync(log, 'utf8')), `${agent} logging "started"`);
      } finally {
        await stopProcess(child);
      }
      const lines = readFileSync(loads, 'utf8').split('\n');
      const listenAt = lines.indexOf(`listen ${port}`);
      assert.ok(listenAt > 0, 'the recorder saw the health port open');
      assert.equal(lines[listenAt + 1], 'http client compiled: yes', "Node's fetch was compiled before the health port opened");
      const late = lines.slice(listenAt + 1).filter((l) => l.startsWith('file:'));
      assert.deepEqual(late, [], 'modules compiled after the health port opened');
    });
  }
});
