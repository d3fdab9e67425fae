/** The published package runs the compiled dist/ (Node does not strip types under node_modules). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
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

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string>; scripts: Record<string, string>; engines: { node: string } };

it('is published under its own name (agentnet on npm is an unrelated library); the command stays agentnet', () => {
  assert.equal(pkg.name, 'agentnet-cli');
  assert.deepEqual(Object.keys(pkg.bin), ['agentnet']);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const m of readme.matchAll(/(?:npm install|npm i|npx|from) '?([a-z@][\w@/.-]*)'?/g)) {
    assert.ok(!['agentnet'].includes(m[1]!) || m[0].startsWith('npx'), `README names the package "agentnet": ${m[0]}`);
  }
  assert.match(readme, /npx\s+agentnet-cli init/);
});

it('a clone builds on install: npm install runs prepare, which compiles dist/ and stamps it', () => {
  assert.match(pkg.scripts.prepare!, /npm run build/);
  assert.match(pkg.scripts.build!, /dist\/BUILT/);
});

/** A checkout's layout (bin, package.json, src, node_modules) with a stand-in dist/ that says so. */
function checkout(dir: string): { cli: string; stamp(ms: number): void; touchSource(ms: number): void } {
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'cli', 'run.js'), "process.stdout.write('compiled\\n');\n");
  const at = (file: string, ms: number) => utimesSync(file, ms / 1000, ms / 1000);
  return {
    cli: join(dir, 'bin', 'agentnet.js'),
    stamp: (ms) => (writeFileSync(join(dir, 'dist', 'BUILT'), ''), at(join(dir, 'dist', 'BUILT'), ms)),
    touchSource: (ms) => at(join(dir, 'src', 'errors.ts'), ms),
  };
}

it('in a clone the launcher runs the compiled code while it is up to date with the source, the source after an edit', async () => {
  const { dir, cleanup } = tempDir('agentnet-launch-');
  try {
    const c = checkout(dir);
    const now = Date.now();
    const built = await runNode([c.cli, '--version']);
    assert.equal(built.stdout, `${pkg.version}\n`, 'not built yet: the source runs');
    c.stamp(now + 60_000);
    assert.equal((await runNode([c.cli, '--version'])).stdout, 'compiled\n');
    c.touchSource(now + 120_000);
    assert.equal((await runNode([c.cli, '--version'])).stdout, `${pkg.version}\n`, 'an edited source runs as edited');
  } finally {
    cleanup();
  }
});

it('on an unsupported Node says which Node is needed and how to get it', async () => {
  const { dir, cleanup } = tempDir('agentnet-oldnode-');
  try {
    // Node 20 as the launcher sees it (process.versions), on the Node that runs the tests.
    const preload = join(dir, 'node20.mjs');
    writeFileSync(preload, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });\n");
    const r = await runNode(['--import', preload, join(ROOT, 'bin', 'agentnet.js'), '--version']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^agentnet needs Node\.js 22\.13 or newer \(24 LTS recommended\); this is Node 20\.20\.2/);
    assert.match(r.stderr, /npm install brings Node 24 with it: run the command through npx \(npx agentnet up\)/);
    assert.doesNotMatch(r.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
    assert.equal(pkg.engines.node, '>=22.13', 'engines says what the launcher checks');
  } finally {
    cleanup();
  }
});
