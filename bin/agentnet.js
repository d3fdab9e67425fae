#!/usr/bin/env node
// In a checkout, run the TypeScript source (Node 24 strips the types); once installed from npm,
// run the compiled dist/ (Node does not strip types under node_modules).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sourcePath = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));
const useSource = existsSync(sourcePath) && !sourcePath.split(/[\\/]/).includes('node_modules');
const entry = (path) => new URL(useSource ? `../src/${path}.ts` : `../dist/${path}.js`, import.meta.url).href;

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
