/**
 * One agent as one process: subscribes to the bridge for messages addressed to it, hands each
 * to its role, and marks it done only after the role finished. Checks PAUSE before taking
 * anything new, serves /health and /metrics, logs structured JSON, and on stop finishes or
 * releases the message in hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBridge, type Bridge } from '../bridge/index.ts';
import { createRedactor } from '../log/redact.ts';
import { bridgeSpec, renderPrompt, storeIsLocalFile, storeSpec, type Config, type ResolvedAgent } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import { Budget, priceOf, withBudget } from '../models/budget.ts';
import { firstWithRole } from './routing.ts';
import { createAgentLogger, type AgentLogger } from '../log/agent-logger.ts';
import type { Model } from '../models/model.ts';
import { createModel, loadModelCode, type ModelProvider } from '../models/registry.ts';
import { collectStatus, formatStatusShort } from './network-status.ts';
import type { Role, RoleContext } from './role.ts';
import { startHealthServer, type HealthReport, type HealthServer, type ModelUsage } from './health.ts';
import { MessageLoop } from './message-loop.ts';
import { grantedTools } from './tools/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { PauseWatch, readSharedPause } from './pause.ts';
import type { Clock } from './clock.ts';
import { ProcessedLog } from './processed.ts';
import { createStats, observe, totalProcessed, type AgentStats } from './stats.ts';
import { tracedBridge, tracedModel, tracedStore } from './traced.ts';
import { warmHttpClient } from './warm-up.ts';
import { createTracer, UNRECORDED, type Tracer } from './tracer.ts';

export interface StartAgentOptions {
  config: Config;
  agent: string;
  /** Builds the agent's role: the runtime knows none (`agentnet run` gives the role map of cli/roles.ts). */
  createRole: (ctx: RoleContext) => Promise<Role>;
  /** Loads the code `createRole` will run for this agent, without running it (see startAgent). */
  loadCode?: (agent: ResolvedAgent) => Promise<void>;
  /** Model providers beyond models/ (claude-code, from orchestrator/), by provider name. */
  modelProviders?: Readonly<Record<string, ModelProvider>>;
  /** Secret values to redact from logs. */
  secrets?: string[];
  /** Also log to stdout (default true). */
  stdout?: boolean;
  /** Attempts per message before the sender is told it failed (default 4). */
  maxAttempts?: number;
  /** How long stop() waits for the message in hand (default 10 s). */
  graceMs?: number;
  /** Use this model instead of the configured one (tests). */
  model?: Model;
  /** The longest one message may take, model retries and tools included (default 10 min). */
  messageTimeoutMs?: number;
  /** The clock schedules and tasks read (tests). */
  clock?: Clock;
  /** Aborted when the process is asked to stop before start finished: ends waits for an unreachable server. */
  signal?: AbortSignal;
}

export interface RunningAgent {
  readonly healthUrl: string;
  readonly logFile: string;
  /** Settles (with the cause) if the agent stopped taking messages because the bridge failed; the process should exit non-zero. */
  readonly failed: Promise<unknown>;
  /** Settles (with the reason) when the network asked this agent to stop for good (`shutdown all`): stop and exit 0. */
  readonly shutdown: Promise<string>;
  stop(): Promise<void>;
}

/**
 * An agent waits out an unreachable PostgreSQL however long it takes, its work in hand kept:
 * a restart would not bring the server back sooner, and stop() ends the wait.
 */
const WAIT_FOR_SERVER_MS = Number.MAX_SAFE_INTEGER;

export const agentLogFile = (config: Config, agent: string) => join(config.stateDir, 'logs', `${agent}.log`);

/** Where /health reads from; the start fills each in as the part it describes opens. */
interface HealthSources {
  /** The agent's health problems (the role adds its own). */
  problems: Set<string>;
  /** Whether the model's budget is spent; asked each time, so a new day clears it. */
  budgetSpent: () => boolean;
  /** A server backend (PostgreSQL) out of reach: the agent waits for it with its work in hand. */
  outages: () => string[];
  roleHealth: () => Record<string, unknown>;
  modelUsage?: () => ModelUsage;
}

/** What an agent being started has so far; `cleanup` undoes it if the start fails. */
interface Starting {
  options: StartAgentOptions;
  config: Config;
  agent: ResolvedAgent;
  logger: AgentLogger;
  logFile: string;
  stats: AgentStats;
  sources: HealthSources;
  health: HealthServer;
  cleanup: Array<() => unknown>;
}

export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { config } = options;
  const agent = config.agents[options.agent];
  if (!agent) {
    throw new AgentnetError('AGENT_UNKNOWN', `no agent "${options.agent}" in ${config.file}; agents: ${Object.keys(config.agents).join(', ')}`);
  }
  const stats = createStats(agent.name, agent.role);
  const logFile = agentLogFile(config, agent.name);
  const logger = createAgentLogger({ agent: agent.name, file: logFile, secrets: options.secrets ?? [], stdout: options.stdout ?? true });
  const sources: HealthSources = { problems: new Set(), budgetSpent: () => false, outages: () => [], roleHealth: () => ({}) };
  // Compiling a role's or an SDK's modules, or Node's HTTP client, blocks the event loop for up
  // to a tenth of a second: done before the health port opens, /health answers fast from its first probe.
  await Promise.all([options.model ? undefined : loadModelCode(agent.model), options.loadCode?.(agent), warmHttpClient()]);
  // The health port next: a second copy of this agent fails here, before it touches anything.
  const health = await startHealthServer({ host: agent.health.host, port: agent.health.port, report: healthReporter(agent, stats, sources), stats });
  const cleanup: Array<() => unknown> = [() => health.close()];
  try {
    return await runAgent({ options, config, agent, logger, logFile, stats, sources, health, cleanup });
  } catch (err) {
    for (const undo of cleanup.reverse()) await undo();
    logger.flush();
    throw err;
  }
}

function healthReporter(agent: ResolvedAgent, stats: AgentStats, h: HealthSources): () => HealthReport {
  return () => {
    if (h.budgetSpent()) h.problems.add('budget');
    else h.problems.delete('budget');
    const all = [...h.problems, ...h.outages()];
    return {
      status: stats.paused ? 'paused' : all.length > 0 ? 'degraded' : 'ok',
      uptime: (Date.now() - stats.startedAt) / 1000,
      lastActivity: stats.lastActivity ? new Date(stats.lastActivity).toISOString() : null,
      messagesProcessed: totalProcessed(stats),
      agent: agent.name,
      role: agent.role,
      paused: stats.paused,
      pid: process.pid,
      ...(all.length ? { problems: all } : {}),
      ...(h.modelUsage ? { usage: h.modelUsage() } : {}),
      ...h.roleHealth(),
    };
  };
}

/** Opens what the agent works with, hands it to its role and starts taking messages. */
async function runAgent(s: Starting): Promise<RunningAgent> {
  const { options, config, agent, logger, stats, sources, health, cleanup } = s;
  const pause = watchPause(config, stats, logger);
  cleanup.push(() => pause.close());
  const opening = trackOpening(sources, options.signal);
  const bridge = await openBridge(bridgeSpec(config, { waitForServerMs: WAIT_FOR_SERVER_MS }), logger, opening.extras('bridge'));
  cleanup.push(() => bridge.close());
  const prompt = loadPrompt(agent, logger);
  const budgeted = await budgetedModel(s, bridge);
  // Every role uses the store: the relay's ledger, the autonomous agent's queue, the
  // orchestrator's claims on requests (shared with Claude Code sessions), granted memory tools.
  const store: Store = await openStore(storeSpec(config, { waitForServerMs: WAIT_FOR_SERVER_MS }), logger, opening.extras('store'));
  cleanup.push(() => store.close());
  // The role sees the bridge, the queue and the model traced: what a request causes joins its trace.
  const tracer = await startTracer(s, store);
  cleanup.push(() => tracer.flush());
  const traced = { bridge: tracedBridge(bridge, tracer, (a) => config.agents[a]?.role), store: tracedStore(store, tracer), model: tracedModel(budgeted, tracer, (sec) => observe(stats, 'model', sec)) };
  sources.outages = () => serverOutages(bridge, store);
  // Agents on other hosts pause through the shared store.
  if (!storeIsLocalFile(config)) pause.share(() => readSharedPause(store.memory));
  let shutdownWith: (reason: string) => void = () => {};
  const shutdown = new Promise<string>((resolve) => (shutdownWith = resolve));
  const redact = createRedactor(options.secrets ?? []);
  const role = await startRole(s, { ...traced, tracer, prompt, pause, redact, requestShutdown: (reason) => shutdownWith(reason) });
  sources.roleHealth = () => role.health?.() ?? {};
  const loop = new MessageLoop({
    name: agent.name,
    config,
    bridge: traced.bridge,
    tracer,
    role,
    logger,
    stats,
    problems: sources.problems,
    processed: new ProcessedLog(join(config.stateDir, 'agents', agent.name, 'processed.ids')),
    untilResumed: (signal) => pause.untilResumed(signal),
    redact,
    maxAttempts: options.maxAttempts ?? 4,
    messageTimeoutMs: options.messageTimeoutMs ?? 600_000,
    onShutdownOrder: (reason) => shutdownWith(reason),
  });
  await loop.start();
  if (role.start) {
    await role.start();
    cleanup.push(() => role.stop?.(0));
  }
  opening.started();
  logger.info({ health: health.url, role: agent.role, model: budgeted.id, pid: process.pid }, 'started');
  let stopped: Promise<void> | undefined;
  return {
    healthUrl: `${health.url}/health`,
    logFile: s.logFile,
    failed: loop.failed,
    shutdown,
    stop: () => (stopped ??= stopAgent({ logger, graceMs: options.graceMs ?? 10_000, loop, role, pause, health, bridge, store, tracer, outageWaits: opening.outageWaits })),
  };
}

/** The agent's tracer: hops to the store, and to an OpenTelemetry collector when `traces.otlp` says (its exporter loaded only then). */
async function startTracer(s: Starting, store: Store): Promise<Tracer> {
  const otlp = s.config.traces.otlp;
  const exporter = otlp ? (await import('./otlp.ts')).createOtlpExporter({ url: otlp.url, ...(otlp.headers ? { headers: otlp.headers } : {}), agent: s.agent.name, logger: s.logger }) : undefined;
  return createTracer({ agent: s.agent.name, traces: s.config.traces.record ? store.traces : UNRECORDED, logger: s.logger, ...(exporter ? { exporter } : {}) });
}

/** The agent's role, handed what it works with; the runtime knows no role. */
function startRole(s: Starting, parts: { bridge: Bridge; model: Model; prompt: string; store: Store; tracer: Tracer; pause: PauseWatch; redact: (text: string) => string; requestShutdown: (reason: string) => void }): Promise<Role> {
  const { options, config, agent, logger, stats, sources } = s;
  const { bridge, store, pause } = parts;
  return options.createRole({
    agent,
    config,
    bridge,
    model: parts.model,
    logger,
    prompt: parts.prompt,
    stats,
    // A call the approve: policy names waits for the owner's yes; an approved one runs only while not paused.
    tools: grantedTools(agent, config, bridge, logger, store, { untilResumed: (signal) => pause.untilResumed(signal), ...(options.clock ? { clock: options.clock } : {}) }),
    redact: parts.redact,
    store,
    tracer: parts.tracer,
    ...(options.clock ? { clock: options.clock } : {}),
    pause: { paused: () => pause.state.paused, untilResumed: (signal) => pause.untilResumed(signal) },
    problems: sources.problems,
    requestShutdown: parts.requestShutdown,
  });
}

function watchPause(config: Config, stats: AgentStats, logger: AgentLogger): PauseWatch {
  const pause = new PauseWatch(config.stateDir, (p) => {
    stats.paused = p.paused;
    logger.info(p.paused ? { reason: p.reason, by: p.by } : {}, p.paused ? 'paused' : 'resumed');
  });
  stats.paused = pause.state.paused;
  return pause;
}

/**
 * While the bridge and the store open, health shows an outage their server has. The waits for
 * an unreachable server end when `outageWaits` is aborted (by stop()) or, during start, when
 * `signal` is: stop() only exists once start returns.
 */
function trackOpening(sources: HealthSources, signal: AbortSignal | undefined) {
  const outageWaits = new AbortController();
  const abortWaits = () => outageWaits.abort();
  signal?.addEventListener('abort', abortWaits, { once: true });
  const opening = new Map<string, string>();
  sources.outages = () => [...opening].map(([what, problem]) => `${what}: ${problem}`);
  return {
    outageWaits,
    extras: (what: string) => ({
      stopWaitingOn: outageWaits.signal,
      reportOutage: (problem: string | undefined) => void (problem ? opening.set(what, problem) : opening.delete(what)),
    }),
    started: () => signal?.removeEventListener('abort', abortWaits),
  };
}

/** The outages of the open bridge and store (a server backend out of reach). */
function serverOutages(bridge: Bridge, store: Store): string[] {
  const out: string[] = [];
  const b = bridge.unavailable?.();
  const s = store.unavailable?.();
  if (b) out.push(`bridge: ${b}`);
  if (s) out.push(`store: ${s}`);
  return out;
}

function loadPrompt(agent: ResolvedAgent, logger: AgentLogger): string {
  if (existsSync(agent.prompt)) return readFileSync(agent.prompt, 'utf8');
  logger.warn({ prompt: agent.prompt }, 'prompt file not found; using the default prompt for the role');
  return renderPrompt(agent.role, agent.name);
}

/** The agent's model, counting its use (the dashboard shows it) and, with a budget, stopped when it is spent. */
async function budgetedModel(s: Starting, bridge: Bridge): Promise<Model> {
  const { options, config, agent, logger, sources } = s;
  const name = agent.name;
  const orchestrator = firstWithRole(config, 'orchestrator');
  const price = priceOf(agent.model.name, agent.model.price);
  const budget = new Budget(join(config.stateDir, 'agents', name, 'usage.json'), agent.budget ?? {}, price);
  const baseModel = options.model ?? await createModel(agent.model, {
    agent: name,
    ...(orchestrator && orchestrator !== name ? { orchestrator } : {}),
    networkStatus: async () => formatStatusShort(await collectStatus(config, bridge)),
    network: config,
    logger,
    costLeftUsd: () => budget.costLeftUsd(),
  }, options.modelProviders);
  // Claude Code reports what each run cost; other providers are priced from the model's name.
  if (agent.budget?.costPerDayUsd !== undefined && !price && agent.model.provider !== 'claude-code') {
    logger.warn({ model: baseModel.id }, 'no price known for this model: the cost budget is not enforced (set model.price)');
  }
  if (agent.budget) sources.budgetSpent = () => budget.exhausted() !== undefined;
  sources.modelUsage = () => {
    const u = budget.usage;
    return { model: baseModel.id, tokensToday: u.inputTokens + u.outputTokens, costTodayUsd: price || u.costReported ? u.costUsd : null, ...agent.budget };
  };
  return withBudget(baseModel, budget, (reason) => {
    if (!budget.takeNotice()) return;
    logger.warn({ reason }, 'model budget spent; not calling the model until 00:00 UTC');
    // Tell the owner once a day, through the relay.
    const relay = firstWithRole(config, 'relay');
    void bridge
      .append({ from: name, ...(relay ? { to: relay } : {}), type: 'notification', content: `${name} stopped using its model for today: ${reason}. It resets at 00:00 UTC.` })
      .catch((err: Error) => logger.error({ err }, 'could not send the budget notice'));
  });
}

/** What stop() closes, in order. */
interface Running {
  logger: AgentLogger;
  graceMs: number;
  loop: MessageLoop;
  role: Role;
  pause: PauseWatch;
  health: HealthServer;
  bridge: Bridge;
  store: Store;
  tracer: Tracer;
  outageWaits: AbortController;
}

/** Takes nothing new, gives the message in hand and the role's work `graceMs`, releases the rest, closes everything. */
async function stopAgent(r: Running): Promise<void> {
  r.logger.info({}, 'stopping');
  const subClosed = r.loop.stopTaking();
  // Running tasks get the same grace; what is not finished by then goes back to the queue.
  const background = r.role.stop?.(r.graceMs);
  // What still waits for an unreachable PostgreSQL fails once the grace is over; the message stays pending for the next start.
  await r.loop.finish(r.graceMs, () => r.outageWaits.abort());
  await background;
  await subClosed;
  r.pause.close();
  await r.health.close();
  await r.tracer.flush();
  await r.bridge.close();
  await r.store.close();
  r.logger.info({}, 'stopped');
  r.logger.flush();
}
