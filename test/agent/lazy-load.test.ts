/**
 * An agent process loads what its role and config use, nothing else: every idle agent pays for
 * each library in memory (grammY ~17 MiB resident, the MCP SDK ~28 MiB; see bench/README.md).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, freePort, spawnNode, stopProcess, tempDir, waitHealthy } from '../helpers/util.ts';

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
});
