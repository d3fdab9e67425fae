#!/usr/bin/env node
// The agentnet command. It runs the compiled dist/ when that is up to date with the TypeScript
// source (installed from npm there is no source; in a clone `npm install` builds dist/), and the
// source otherwise (Node 24 strips the types), so an edit in a checkout takes effect at once.
// Plain JavaScript that any Node parses: on an unsupported Node it says what is needed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIN = [22, 13];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  process.stderr.write(
    `agentnet needs Node.js ${MIN.join('.')} or newer (24 LTS recommended); this is Node ${process.versions.node} (${process.execPath}).\n` +
      'In a clone of agentnet, npm install brings Node 24 with it: run the command through npx (npx agentnet up),\n' +
      'which puts that Node first. Otherwise install Node 24 (https://nodejs.org, or nvm install 24).\n',
  );
  process.exit(1);
}

const path = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** The newest modification time under `dir` (ms), walking the whole tree (a deletion changes its directory's). */
function newest(dir) {
  let t = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** 'dist' when the compiled code is there and no source file changed after it was built. */
function pickBuild() {
  const stamp = path('dist/BUILT');
  const hasSource = existsSync(path('src/cli/run.ts')) && !path('src').split(/[\\/]/).includes('node_modules');
  if (!hasSource) return 'dist';
  if (process.env.AGENTNET_SOURCE === '1' || !existsSync(stamp)) return 'src';
  // A Node without type stripping can run the compiled code only.
  if (!process.features.typescript) return 'dist';
  return statSync(stamp).mtimeMs >= newest(path('src')) ? 'dist' : 'src';
}

const build = pickBuild();
const entry = (p) => new URL(build === 'src' ? `../src/${p}.ts` : `../dist/${p}.js`, import.meta.url).href;
if (build === 'src' && !process.features.typescript) {
  process.stderr.write(`agentnet: Node ${process.versions.node} cannot run the TypeScript source, and dist/ is not built: run npm run build, or use Node 24 (npx agentnet in a clone).\n`);
  process.exit(1);
}

const help = process.argv.includes('--help') || process.argv.includes('-h');
if (process.argv[2] === 'claude' && process.argv[3] === 'session-start' && !help) {
  // Claude Code's SessionStart hook: every session waits for it, so it loads one small module only.
  const { runSessionStart } = await import(entry('orchestrator/session-start'));
  process.exitCode = await runSessionStart(process.argv.slice(4), (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  // A server connection still closing (or one that never answered) must not hold the session up.
  setTimeout(() => process.exit(), 100).unref();
} else {
  await import(entry('cli/run'));
}
