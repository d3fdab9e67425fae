/**
 * One headless Claude Code run: `claude -p --output-format stream-json --verbose ...` with the
 * prompt on stdin, read as it streams (one JSON event per line). The child gets its own process
 * group, so a run that hangs or overruns is killed with everything it started (MCP servers,
 * shells), first with SIGTERM, then SIGKILL.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The last line of a stream-json run (the CLI's documented result message). */
export interface ClaudeResult {
  type: 'result';
  subtype: string;
  is_error?: boolean;
  result?: string;
  session_id?: string;
  num_turns?: number;
  total_cost_usd?: number;
  usage?: { input_tokens?: number; output_tokens?: number; cache_creation_input_tokens?: number; cache_read_input_tokens?: number };
  permission_denials?: Array<{ tool_name: string; tool_use_id?: string; tool_input?: unknown }>;
  errors?: string[];
  api_error_status?: number;
}

export interface ClaudeRun {
  /** From the init event (or the result). */
  sessionId?: string;
  /** MCP servers the init event reported, with their status (`connected`, `failed`, ...). */
  mcpServers: Array<{ name: string; status: string }>;
  /** The tools the init event says the run was given (Claude Code's own and the MCP servers'). */
  tools: string[];
  /** The tools the run called, in order. */
  toolUses: string[];
  /** Assistant text, in order (the answer when the result has none). */
  texts: string[];
  result?: ClaudeResult;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The end of standard error. */
  stderr: string;
  /** Why the run was stopped from here, if it was. */
  killed?: 'timeout' | 'aborted';
  /** Set when the executable could not be started (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
  /** Lines that were not JSON (counted, not fatal). */
  noise: number;
}

export interface RunOptions {
  command: string;
  args: string[];
  prompt: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL (default 3 s). */
  killGraceMs?: number;
  onEvent?: (event: Record<string, unknown>) => void;
}

const STDERR_KEEP = 4000;

export function runClaude(o: RunOptions): Promise<ClaudeRun> {
  const run: ClaudeRun = { mcpServers: [], tools: [], toolUses: [], texts: [], exitCode: null, signal: null, stderr: '', noise: 0 };
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      run.spawnError = err as NodeJS.ErrnoException;
      return resolve(run);
    }
    const pid = child.pid;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (why: 'timeout' | 'aborted') => {
      if (run.killed || pid === undefined) return;
      run.killed = why;
      const signalGroup = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          /* already gone */
        }
      };
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), o.killGraceMs ?? 3000);
    };
    const timer = setTimeout(() => killGroup('timeout'), o.timeoutMs);
    const onAbort = () => killGroup('aborted');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();

    child.on('error', (err: NodeJS.ErrnoException) => {
      run.spawnError = err;
    });
    child.stdin.on('error', () => {}); // a child that exits before reading its prompt
    child.stdin.end(o.prompt);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      run.stderr = (run.stderr + d).slice(-STDERR_KEEP);
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (!line.trim()) return;
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(line) as Record<string, unknown>;
      } catch {
        run.noise++;
        return;
      }
      if (!ev || typeof ev !== 'object') return void run.noise++;
      take(run, ev);
      o.onEvent?.(ev);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      run.exitCode = code;
      run.signal = signal;
      // The group may outlive its leader (a grandchild that ignored SIGTERM): finish the job.
      if (run.killed && pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      clearTimeout(killTimer);
      resolve(run);
    });
  });
}

/** Folds one stream-json event into the run. */
function take(run: ClaudeRun, ev: Record<string, unknown>): void {
  if (typeof ev.session_id === 'string') run.sessionId ??= ev.session_id;
  if (ev.type === 'system' && ev.subtype === 'init') {
    if (typeof ev.session_id === 'string') run.sessionId = ev.session_id;
    if (Array.isArray(ev.tools)) run.tools = ev.tools.filter((t): t is string => typeof t === 'string');
    if (Array.isArray(ev.mcp_servers)) {
      run.mcpServers = ev.mcp_servers.filter((s): s is { name: string; status: string } => typeof s?.name === 'string').map((s) => ({ name: s.name, status: String(s.status) }));
    }
  } else if (ev.type === 'assistant') {
    const content = (ev.message as { content?: unknown } | undefined)?.content;
    if (Array.isArray(content)) {
      for (const block of content as Array<{ type?: string; text?: string; name?: string }>) {
        if (block?.type === 'text' && typeof block.text === 'string') run.texts.push(block.text);
        if (block?.type === 'tool_use' && typeof block.name === 'string') run.toolUses.push(block.name);
      }
    }
  } else if (ev.type === 'result') {
    run.result = ev as unknown as ClaudeResult;
    if (typeof ev.session_id === 'string') run.sessionId = ev.session_id;
  }
}
