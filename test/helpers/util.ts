/** Small helpers shared by tests: temp dirs, waiting for a condition, running child processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin', 'agentnet.js');

export function tempDir(prefix = 'agentnet-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Waits until `check` returns true. The deadline only keeps a broken test from hanging; no
 * test asserts how fast something happens.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node script (TypeScript is fine) in its own process and collects its output. */
export function runNode(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  const child = spawnNode(args, options);
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin?.end();
  return collect(child);
}

export function spawnNode(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the agentnet CLI as a real process. */
export function agentnet(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return runNode([BIN, ...args], options);
}

/** Collects a child's stdout lines as they arrive. */
export function lines(child: ChildProcess): string[] {
  const out: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    out.push(...parts);
  });
  return out;
}

/** Ports this process has handed out: the OS may offer a just-closed port again, and two agents of one test must not share one. */
const handedOut = new Set<number>();

/** A TCP port free on 127.0.0.1 now, never the same one twice in this process. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** A three-agent network config on free ports, written into `dir`. */
export async function writeNetwork(dir: string): Promise<{ file: string; ports: Record<string, number> }> {
  const { writeFileSync } = await import('node:fs');
  const ports = { claude: await freePort(), kami: await freePort(), kaylee: await freePort() };
  const file = join(dir, 'agentnet.yaml');
  writeFileSync(
    file,
    `network: test
bridge: { pollIntervalMs: 100 }
agents:
  claude: { role: orchestrator, health: { port: ${ports.claude} } }
  kami: { role: relay, health: { port: ${ports.kami} } }
  kaylee: { role: autonomous, health: { port: ${ports.kaylee} } }
`,
  );
  return { file, ports };
}

/** Resolves once an agent's /health on `port` answers 200. Given its process, a failure says how it ended and what it said. */
export async function waitHealthy(port: number, name: string, child?: ChildProcess): Promise<void> {
  let stderr = '';
  const keep = (d: Buffer | string) => void (stderr = (stderr + String(d)).slice(-2000));
  child?.stderr?.on('data', keep);
  try {
    await waitFor(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health`)).ok;
      } catch {
        return false;
      }
    }, `${name} to be up on port ${port}`);
  } catch (err) {
    if (!child) throw err;
    const ended = child.exitCode !== null || child.signalCode !== null ? `it exited (${child.exitCode ?? child.signalCode})` : 'it is still running';
    throw new Error(`${(err as Error).message}; ${ended}; its stderr: ${stderr.trim() || '(nothing)'}`);
  } finally {
    child?.stderr?.off('data', keep);
  }
}

/** Signals a child process and waits for it to exit (at once if it already has). */
export async function stopProcess(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await exited;
}

/**
 * The `agents:` section of the e2e networks: claude answers with a fake Anthropic API, kami
 * relays the owner's WhatsApp through a fake Green API (or `kamiChannel`), kaylee is autonomous.
 */
export function e2eAgentsYaml(o: {
  anthropicUrl: string;
  green: { url: string; idInstance: string; apiToken: string };
  owner: string;
  ports: Record<string, number>;
  /** Replaces kami's WhatsApp channel (indented as a key of kami). */
  kamiChannel?: string;
  /** More of kami's keys (indented). */
  kamiExtra?: string;
}): string {
  return `agents:
  claude:
    role: orchestrator
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: "\${KEY}", baseUrl: "${o.anthropicUrl}", maxRetries: 0 }
    health: { port: ${o.ports.claude} }
  kami:
    role: relay
    health: { port: ${o.ports.kami} }
${o.kamiChannel ?? `    channel:
      type: whatsapp
      apiUrl: ${o.green.url}
      idInstance: "${o.green.idInstance}"
      apiToken: ${o.green.apiToken}
      receiveTimeoutS: 5
      owners: ["+${o.owner}"]
      pace: { perChatMs: 0, perInstanceMs: 0 }`}
${o.kamiExtra ?? ''}
  kaylee: { role: autonomous, health: { port: ${o.ports.kaylee} } }
`;
}
