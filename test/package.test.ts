/** The published package runs the compiled dist/ (Node does not strip types under node_modules). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { ROOT, runNode, tempDir } from './helpers/util.ts';

it('the compiled CLI (what npm installs) inits a network and sends a message', async () => {
  const { dir, cleanup } = tempDir('agentnet-pkg-');
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], { stdio: 'pipe' });
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules')); // its dependencies (zod, yaml)
    assert.ok(!existsSync(join(dir, 'src')), 'no TypeScript source beside it: the launcher must pick dist/');
    const cli = join(dir, 'bin', 'agentnet.js');
    const net = join(dir, 'net');
    const init = await runNode([cli, 'init', '--dir', net]);
    assert.equal(init.code, 0, init.stderr);
    const sent = await runNode([cli, 'bridge', 'send', '--to', 'claude', 'from the package'], { cwd: net });
    assert.equal(sent.code, 0, sent.stderr);
    const ls = await runNode([cli, 'bridge', 'ls', '--json'], { cwd: net });
    assert.equal(JSON.parse(ls.stdout).id, sent.stdout.trim());
  } finally {
    cleanup();
  }
});
