/** What the CLI says about itself is true: JSON output shape, help texts, option names, advice. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.ts';
import { createOfflineModel } from '../../src/models/offline.ts';
import { agentnet, ROOT, tempDir } from '../helpers/util.ts';

describe('the CLI tells the truth', () => {
  it('status --json and doctor --json print one JSON object on one line', async () => {
    const { dir, cleanup } = tempDir('agentnet-json-');
    try {
      assert.equal((await agentnet(['init'], { cwd: dir })).code, 0);
      for (const args of [['status', '--json'], ['doctor', '--offline', '--json']]) {
        const r = await agentnet(args, { cwd: dir });
        const lines = r.stdout.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stdout}`);
        assert.equal(typeof JSON.parse(lines[0]!), 'object');
      }
    } finally {
      cleanup();
    }
  });

  it('every command that reads a config takes -c', async () => {
    for (const entry of COMMANDS) {
      const c = await entry.load();
      const config = (c.options as Record<string, { short?: string }>).config;
      if (config) assert.equal(config.short, 'c', `agentnet ${entry.name} --config has no -c`);
    }
  });

  it('agentnet --help lists the bridge commands together, migrate bridge after them', async () => {
    const names = (await agentnet(['--help'])).stdout.split('\n').map((l) => /^ {2}(\S+(?: \S+)?)\s{2,}/.exec(l)?.[1]).filter(Boolean) as string[];
    const bridge = names.map((n, i) => (n.startsWith('bridge ') ? i : -1)).filter((i) => i >= 0);
    assert.equal(bridge.at(-1)! - bridge[0]! + 1, bridge.length, `bridge commands interleaved: ${names.join(', ')}`);
    assert.equal(names.indexOf('migrate bridge'), bridge.at(-1)! + 1);
  });

  it("deploy systemd --help names init's network and says when PrivateTmp is left out", async () => {
    const help = (await agentnet(['deploy', 'systemd', '--help'])).stdout;
    assert.match(help, /agentnet-home-kami\.service/);
    assert.doesNotMatch(help, /agentnet-seed-/);
    assert.match(help, /PrivateTmp unless the network lives under \/tmp/);
  });

  it("the offline model's advice names every provider an orchestrator can use", async () => {
    const model = createOfflineModel({ agent: 'claude', networkStatus: async () => '' });
    const r = await model.complete({ system: '', messages: [{ role: 'user', content: 'please deploy' }], tools: [] } as never);
    const text = JSON.stringify(r);
    for (const p of ['anthropic:<model>', 'openai:<model>', 'claude-code']) assert.ok(text.includes(p), `${p} in ${text}`);
  });

  it('no test or benchmark names a model that reached end of life (Sonnet 4.5, 2026-11-30)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? (n === '.work' ? [] : files(p)) : p.endsWith('.ts') ? [p] : [];
      });
    const eol = ['claude-sonnet', '4-5'].join('-');
    const naming = [...files(join(ROOT, 'test')), ...files(join(ROOT, 'bench'))].filter((f) => readFileSync(f, 'utf8').includes(eol));
    assert.deepEqual(naming, []);
  });
});
