/**
 * The real Claude Code CLI for the tests, at a pinned version. Its npm package is ~384 MB (a
 * native binary per platform), so it is not a devDependency: `ensureRealClaude()` installs it
 * on demand into a cache folder, once per machine, and returns the binary's path. Two test
 * processes may ask at once: each installs into its own temporary folder and renames it into
 * place; the first rename wins and the other's copy is thrown away. A CLI that cannot be
 * installed fails the test with the reason (it is never skipped).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { collect, type RunResult } from './util.ts';

export const REAL_CLAUDE_PACKAGE = '@anthropic-ai/claude-code';
export const REAL_CLAUDE_VERSION = '2.1.332';

/** The folder the pinned version is installed in: $AGENTNET_CLAUDE_CACHE or ~/.cache/agentnet-test. */
export function realClaudeDir(): string {
  const root = process.env.AGENTNET_CLAUDE_CACHE || join(homedir(), '.cache', 'agentnet-test');
  return join(root, `claude-code-${REAL_CLAUDE_VERSION}`);
}

const binIn = (dir: string) => join(dir, 'node_modules', '.bin', 'claude');

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${String(stderr).slice(-2000)}`));
      else resolve(String(stdout));
    });
  });
}

/** npm of this Node (Node 24 from the devDependency has none of its own on PATH first). */
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function install(target: string): Promise<void> {
  const parent = join(target, '..');
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `.installing-${REAL_CLAUDE_VERSION}-`));
  try {
    await run(NPM, ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', tmp, `${REAL_CLAUDE_PACKAGE}@${REAL_CLAUDE_VERSION}`], tmp);
    if (!existsSync(binIn(tmp))) throw new Error(`npm installed ${REAL_CLAUDE_PACKAGE}@${REAL_CLAUDE_VERSION} but there is no ${binIn(tmp)}`);
    await checkVersion(binIn(tmp));
    try {
      renameSync(tmp, target);
    } catch (err) {
      // Another process put its copy there first: that one is as good.
      if (!existsSync(binIn(target))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function checkVersion(bin: string): Promise<void> {
  const out = await run(bin, ['--version'], join(bin, '..'));
  if (!out.includes(REAL_CLAUDE_VERSION)) throw new Error(`${bin} --version says ${out.trim()}, not ${REAL_CLAUDE_VERSION}`);
}

let installing: Promise<string> | undefined;

/** The path of the pinned real `claude` binary, installed first if this machine has none. */
export function ensureRealClaude(): Promise<string> {
  installing ??= (async () => {
    const dir = realClaudeDir();
    try {
      if (!existsSync(binIn(dir))) await install(dir);
      return binIn(dir);
    } catch (err) {
      installing = undefined;
      throw new Error(
        `the real Claude Code CLI (${REAL_CLAUDE_PACKAGE}@${REAL_CLAUDE_VERSION}) could not be installed into ${dir}; ` +
          `these tests need it (set AGENTNET_CLAUDE_CACHE to a writable folder, or install it there with ` +
          `npm install --no-save --prefix ${dir} ${REAL_CLAUDE_PACKAGE}@${REAL_CLAUDE_VERSION}): ${(err as Error).message}`,
      );
    }
  })();
  return installing;
}

/**
 * The environment the real CLI runs in: the machine's own CLAUDE* / ANTHROPIC* variables
 * removed, the fake Messages API at `baseUrl`, a scratch HOME, and nothing phoned home.
 */
export function realClaudeEnv(baseUrl: string, home: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!/^(CLAUDE|ANTHROPIC)/i.test(k)) env[k] = v;
  mkdirSync(home, { recursive: true });
  return {
    ...env,
    HOME: home,
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-fake-test-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
  };
}

/**
 * Runs the real `claude` (e.g. `['-p', 'answer the pending requests']`) in `cwd` against the
 * fake Messages API at `baseUrl`, with `home` as its HOME, and collects its output.
 */
export async function runRealClaude(args: string[], o: { cwd: string; baseUrl: string; home: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const bin = await ensureRealClaude();
  return collect(spawn(bin, args, { cwd: o.cwd, env: { ...realClaudeEnv(o.baseUrl, o.home), ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}
