/**
 * `model: claude-code`: the orchestrator answers with a headless Claude Code (`claude -p`),
 * with the network's MCP server attached so it can act on the network. Each conversation (an
 * owner's chat) continues its own Claude Code session. A run is bounded by a turn limit, a
 * timeout (the process group is killed) and what is left of the agent's daily budget; a run
 * that hit a limit, was refused a tool, or "succeeded" without an answer is a failure with a
 * code, so the runtime tells the owner instead of sending nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config, ModelConfig } from '../config/index.ts';
import { AgentnetError, type ErrorCode } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { AGENTNET_BIN } from '../config/bin.ts';
import { headlessMcpTools, MCP_TOOL_NAMES, mcpToolId, READ_ONLY_MCP_TOOLS } from './mcp-tools.ts';
import { runClaude, type ClaudeRun } from './claude-code-run.ts';
import { ClaudeSessions } from './claude-sessions.ts';
import type { Model, ModelRequest, ModelResponse } from '../models/model.ts';

export const CLAUDE_CODE_DEFAULTS = { maxTurns: 10, timeoutMs: 300_000, sessionIdleHours: 12 } as const;

export interface ClaudeCodeDeps {
  agent: string;
  network: Config;
  logger?: Logger;
  /** Dollars left today under the agent's cost budget, if it has one: the run's --max-budget-usd. */
  costLeftUsd?: () => number | undefined;
  env?: NodeJS.ProcessEnv;
}

const SERVER = 'agentnet';
/**
 * Claude Code tools that only read (or only fetch tool schemas, as ToolSearch does for the
 * deferred MCP tools): a failed run that used nothing else changed nothing and may be retried.
 */
const READ_ONLY_CLAUDE_TOOLS = new Set(['Read', 'Grep', 'Glob', 'LS', 'TodoWrite', 'ToolSearch', ...[...READ_ONLY_MCP_TOOLS].map((t) => mcpToolId(SERVER, t))]);

const HEADLESS_NOTE = `

You are answering one request headless: nobody watches this session. Your final message is
sent as the answer to whoever asked (for a relayed request, the owner's chat): write it for
them, short and plain. The ${SERVER} tools act on the network (status, tasks, memory).`;

export function createClaudeCodeModel(config: ModelConfig, deps: ClaudeCodeDeps): Model {
  const { network, agent } = deps;
  const agentConfig = network.agents[agent];
  if (!agentConfig) throw new AgentnetError('AGENT_UNKNOWN', `no agent "${agent}" in ${network.file}`);
  const command = config.command ?? 'claude';
  const maxTurns = config.maxTurns ?? CLAUDE_CODE_DEFAULTS.maxTurns;
  const timeoutMs = config.timeoutMs ?? CLAUDE_CODE_DEFAULTS.timeoutMs;
  const cwd = resolve(dirname(network.file), config.cwd ?? '.');
  const agentDir = join(network.stateDir, 'agents', agent);
  const sessions = new ClaudeSessions(join(agentDir, 'claude-sessions.json'), (config.sessionIdleHours ?? CLAUDE_CODE_DEFAULTS.sessionIdleHours) * 3_600_000);

  mkdirSync(agentDir, { recursive: true });
  const mcpFile = writeMcpConfig(join(agentDir, 'claude-mcp.json'), network.file, agent);
  const granted = headlessMcpTools(agentConfig);
  const allowed = [...granted.map((t) => mcpToolId(SERVER, t)), ...(config.allowedTools ?? [])];
  // Not only unapproved: invisible, so the model does not try them (the runner answers).
  const disallowed = MCP_TOOL_NAMES.filter((t) => !granted.includes(t)).map((t) => mcpToolId(SERVER, t));

  const builtIn = builtInTools(config.allowedTools ?? []);

  const argsFor = (system: string, resume: string | undefined, mcp: string): string[] => {
    const left = deps.costLeftUsd?.();
    return [
      '-p',
      '--output-format', 'stream-json',
      '--verbose', // stream-json with -p requires it
      '--max-turns', String(maxTurns),
      '--append-system-prompt', system + HEADLESS_NOTE,
      '--mcp-config', mcp,
      '--strict-mcp-config',
      // The owner's user settings (auth, env) apply; the project's and its local settings do
      // not: their SessionStart hook (agentnet claude install) is for interactive sessions.
      '--setting-sources', 'user',
      // Claude Code's own tools: none unless model.allowedTools names them ("" is none).
      '--tools', builtIn.join(','),
      ...(config.name ? ['--model', config.name] : []),
      ...(resume ? ['--resume', resume] : []),
      ...(left !== undefined ? ['--max-budget-usd', left.toFixed(4)] : []),
      '--allowedTools', ...allowed,
      '--disallowedTools', ...disallowed,
    ];
  };

  const runOnce = (req: ModelRequest, prompt: string, resume: string | undefined, mcp: string) =>
    runClaude({
      command,
      args: argsFor(req.system, resume, mcp),
      prompt,
      cwd,
      env: deps.env ?? process.env,
      timeoutMs,
      ...(req.signal ? { signal: req.signal } : {}),
    });

  return {
    id: config.name ? `claude-code:${config.name}` : 'claude-code',
    isLanguageModel: true,
    async complete(req): Promise<ModelResponse> {
      // Claude Code keeps the conversation itself: only the newest user turn is sent.
      const prompt = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const conversation = req.conversation;
      const resume = conversation ? sessions.get(conversation) : undefined;
      // A run that serves a request gets its own MCP config, naming the request (see writeMcpConfig).
      const mcpConfig = req.serving ? writeMcpConfig(join(agentDir, `claude-mcp-${randomUUID()}.json`), network.file, agent, req.serving) : mcpFile;
      let run;
      try {
        run = await runOnce(req, prompt, resume, mcpConfig);
        if (resume && cannotResume(run)) {
          deps.logger?.warn({ conversation, session: resume }, 'claude-code: the session could not be resumed; starting a new one');
          if (conversation) sessions.forget(conversation);
          run = await runOnce(req, prompt, undefined, mcpConfig);
        }
      } finally {
        if (mcpConfig !== mcpFile) rmSync(mcpConfig, { force: true });
      }
      if (conversation && run.sessionId && run.result) sessions.set(conversation, run.sessionId);
      const r = run.result;
      deps.logger?.info(
        { conversation, session: run.sessionId, resumed: Boolean(resume && run.sessionId === resume), turns: r?.num_turns, costUsd: r?.total_cost_usd, offered: run.tools, tools: run.toolUses, exit: run.exitCode ?? run.signal, mcp: run.mcpServers },
        'claude-code run',
      );
      const mcp = run.mcpServers.find((s) => s.name === SERVER);
      if (mcp && mcp.status !== 'connected') deps.logger?.warn({ status: mcp.status }, `claude-code: the ${SERVER} MCP server did not connect; the run had no network tools`);
      if (run.killed === 'aborted') throw req.signal?.reason ?? new Error('aborted');
      return judge(run, { agent, command, maxTurns, timeoutMs });
    },
  };
}

/**
 * Writes the network's MCP server as Claude Code starts it (this agentnet, this config, this agent)
 * to `file` (0600) and returns the path. With `serving`, the server is told the request the run
 * answers (`--serving`): a tool call the agent's approve.tools names asks the owner keyed by that
 * request, so the run made again after a failure finds the same approval instead of asking twice.
 */
function writeMcpConfig(file: string, config: string, agent: string, serving?: string): string {
  const server = { type: 'stdio', command: process.execPath, args: [AGENTNET_BIN, 'mcp', '--config', config, '--as', agent, '--headless', ...(serving ? ['--serving', serving] : [])] };
  writeFileSync(file, JSON.stringify({ mcpServers: { [SERVER]: server } }, null, 2) + '\n', { mode: 0o600 });
  return file;
}

/**
 * The Claude Code built-in tools that model.allowedTools names: "Bash(git log *)" grants Bash
 * (its rule still limits what Bash may run), an MCP tool id (mcp__...) is not a built-in.
 */
export function builtInTools(allowed: readonly string[]): string[] {
  const names = allowed.filter((t) => !t.startsWith('mcp__')).map((t) => t.replace(/\(.*$/s, '').trim());
  return [...new Set(names.filter(Boolean))];
}

/** `--resume` of a session Claude Code no longer has. */
function cannotResume(run: ClaudeRun): boolean {
  const words = [...(run.result?.errors ?? []), run.result?.is_error ? run.result.result ?? '' : '', run.result ? '' : run.stderr].join('\n');
  return /no conversation found/i.test(words);
}

const usageOf = (run: ClaudeRun): ModelResponse['usage'] => {
  const u = run.result?.usage ?? {};
  return {
    inputTokens: (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
    outputTokens: u.output_tokens ?? 0,
    ...(typeof run.result?.total_cost_usd === 'number' ? { costUsd: run.result.total_cost_usd } : {}),
  };
};

const tail = (s: string, n = 600) => {
  const t = s.trim();
  return t.length > n ? `…${t.slice(-n)}` : t;
};

/** The answer of a finished run, or the failure it is, as an error the runtime reports. */
function judge(run: ClaudeRun, o: { agent: string; command: string; maxTurns: number; timeoutMs: number }): ModelResponse {
  const usage = usageOf(run);
  const fail = (code: ErrorCode, message: string, status?: number): AgentnetError => {
    const err = new AgentnetError(code, `Claude Code ${message}`);
    // What the run did and spent, for the budget and for the retry decision (tools must not run twice).
    const acted = run.toolUses.some((t) => !READ_ONLY_CLAUDE_TOOLS.has(t));
    Object.assign(err, { usage, ...(acted ? { sideEffects: true } : {}), ...(status ? { status } : {}) });
    return err;
  };
  if (run.spawnError) {
    const e = run.spawnError;
    if (e.code === 'ENOENT') throw fail('CLAUDE_CODE_NOT_FOUND', `is not installed: no "${o.command}" executable (install it with npm install -g @anthropic-ai/claude-code for the agent's user, or set model.command of ${o.agent} to its path)`);
    throw fail('CLAUDE_CODE_FAILED', `could not be started (${o.command}): ${e.message}`);
  }
  if (run.killed === 'timeout') {
    throw fail('CLAUDE_CODE_TIMEOUT', `did not finish within ${Math.round(o.timeoutMs / 1000)} s and was stopped, with everything it started; ask for less or raise model.timeoutMs`);
  }
  const r = run.result;
  if (!r) {
    if (run.exitCode === 0) throw fail('CLAUDE_CODE_NO_ANSWER', `exited 0 without a result (no "result" event in its output)${run.stderr.trim() ? `: ${tail(run.stderr)}` : ''}`);
    const how = run.exitCode !== null ? `exited with code ${run.exitCode}` : `was killed by ${run.signal}`;
    throw fail('CLAUDE_CODE_FAILED', `${how}${run.stderr.trim() ? `: ${tail(run.stderr)}` : ' and said nothing on standard error'}`);
  }
  if (r.subtype === 'error_max_turns') {
    throw fail('CLAUDE_CODE_TURN_LIMIT', `stopped at its turn limit (${r.num_turns ?? o.maxTurns} turns; model.maxTurns is ${o.maxTurns}) without finishing; raise it or ask for less`);
  }
  if (r.subtype === 'error_max_budget_usd') {
    const err = new AgentnetError('BUDGET_EXHAUSTED', `Claude Code stopped at what is left of today's budget (budget.costPerDayUsd of ${o.agent}); it resets at 00:00 UTC`);
    throw Object.assign(err, { usage });
  }
  if (r.is_error || r.subtype !== 'success') {
    const words = [...(r.errors ?? []), r.result ?? ''].filter(Boolean).join('; ') || r.subtype;
    const status = r.api_error_status ?? Number(/API Error: (\d{3})/.exec(words)?.[1] ?? 0);
    throw fail('CLAUDE_CODE_FAILED', `failed (${r.subtype}): ${tail(words)}`, status || undefined);
  }
  if (r.permission_denials?.length) {
    const names = [...new Set(r.permission_denials.map((d) => d.tool_name))].join(', ');
    throw fail('CLAUDE_CODE_PERMISSION_DENIED', `was refused ${names}; if ${o.agent} should use ${r.permission_denials.length === 1 ? 'it' : 'them'}, grant Claude Code tools in model.allowedTools and network tools in its tools: list`);
  }
  const text = (r.result ?? '').trim() || run.texts.join('\n').trim();
  if (!text) throw fail('CLAUDE_CODE_NO_ANSWER', `finished (${r.num_turns ?? '?'} turns${run.toolUses.length ? `, used ${run.toolUses.join(', ')}` : ''}) without an answer`);
  return { text, toolCalls: [], usage };
}
