/**
 * One agent as one process: subscribes to the bridge for messages addressed to it, hands each
 * to its role, and marks it done only after the role finished. Checks PAUSE before taking
 * anything new, serves /health and /metrics, logs structured JSON, and on stop finishes or
 * releases the message in hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { openBridge, poisonReason, replyFields, statusRecord, type BridgeMessage } from '../bridge/index.ts';
import { createRedactor } from '../log/redact.ts';
import { retryable } from '../models/retry.ts';
import { bridgeSpec, renderPrompt, storeIsLocalFile, storeSpec, type Config } from '../config/index.ts';
import { AgentnetError, isAgentnetError } from '../errors.ts';
import { Budget, priceOf, withBudget } from '../models/budget.ts';
import { firstWithRole, recipientOf } from './routing.ts';
import { createAgentLogger } from '../log/agent-logger.ts';
import type { Model } from '../models/model.ts';
import { createModel, type ModelProvider } from '../models/registry.ts';
import { collectStatus, formatStatusShort } from './network-status.ts';
import type { Revisit, Role, RoleContext } from './role.ts';
import { startHealthServer, type HealthReport, type ModelUsage } from './health.ts';
import { grantedTools } from './tools/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { PauseWatch, readSharedPause } from './pause.ts';
import type { Clock } from './clock.ts';
import { ProcessedLog } from './processed.ts';
import { createStats, totalProcessed } from './stats.ts';

export interface StartAgentOptions {
  config: Config;
  agent: string;
  /** Builds the agent's role: the runtime knows none (`agentnet run` gives the role map of cli/roles.ts). */
  createRole: (ctx: RoleContext) => Promise<Role>;
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

export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { config } = options;
  const agent = config.agents[options.agent];
  if (!agent) {
    throw new AgentnetError('AGENT_UNKNOWN', `no agent "${options.agent}" in ${config.file}; agents: ${Object.keys(config.agents).join(', ')}`);
  }
  const name = agent.name;
  const maxAttempts = options.maxAttempts ?? 4;
  const stats = createStats(name, agent.role);
  const logFile = agentLogFile(config, name);
  const logger = createAgentLogger({ agent: name, file: logFile, secrets: options.secrets ?? [], stdout: options.stdout ?? true });
  const problems = new Set<string>();
  /** Set once the runtime knows the agent's budget; health asks it, so a new day clears it. */
  let budgetSpent: () => boolean = () => false;
  const report = (): HealthReport => {
    if (budgetSpent()) problems.add('budget');
    else problems.delete('budget');
    return reportNow();
  };
  const reportNow = (): HealthReport => {
    // A server backend (PostgreSQL) out of reach: the agent waits for it with its work in hand.
    const all = [...problems, ...outages()];
    return {
      status: stats.paused ? 'paused' : all.length > 0 ? 'degraded' : 'ok',
      uptime: (Date.now() - stats.startedAt) / 1000,
      lastActivity: stats.lastActivity ? new Date(stats.lastActivity).toISOString() : null,
      messagesProcessed: totalProcessed(stats),
      agent: name,
      role: agent.role,
      paused: stats.paused,
      pid: process.pid,
      ...(all.length ? { problems: all } : {}),
      ...(modelUsage ? { usage: modelUsage() } : {}),
      ...roleHealth(),
    };
  };
  let outages: () => string[] = () => [];
  let roleHealth: () => Record<string, unknown> = () => ({});
  let modelUsage: (() => ModelUsage) | undefined;
  // The health port first: a second copy of this agent fails here, before it touches anything.
  const health = await startHealthServer({ host: agent.health.host, port: agent.health.port, report, stats });
  const cleanup: Array<() => unknown> = [() => health.close()];
  const runWith = async (): Promise<RunningAgent> => {
    const pause = new PauseWatch(config.stateDir, (s) => {
      stats.paused = s.paused;
      logger.info(s.paused ? { reason: s.reason, by: s.by } : {}, s.paused ? 'paused' : 'resumed');
    });
    cleanup.push(() => pause.close());
    stats.paused = pause.state.paused;
    // Aborted by stop(): a server still unreachable then is not waited for any longer.
    const outageWaits = new AbortController();
    // During start a stop request ends them at once: stop() only exists once start returns.
    const abortWaits = () => outageWaits.abort();
    options.signal?.addEventListener('abort', abortWaits, { once: true });
    // Until the bridge and store are open, health shows an outage their server has while they open.
    const opening = new Map<string, string>();
    outages = () => [...opening].map(([what, problem]) => `${what}: ${problem}`);
    const whileOpening = (what: string) => ({
      stopWaitingOn: outageWaits.signal,
      reportOutage: (problem: string | undefined) => void (problem ? opening.set(what, problem) : opening.delete(what)),
    });
    const bridge = await openBridge(bridgeSpec(config, { waitForServerMs: WAIT_FOR_SERVER_MS }), logger, whileOpening('bridge'));
    cleanup.push(() => bridge.close());
    let prompt: string;
    if (existsSync(agent.prompt)) prompt = readFileSync(agent.prompt, 'utf8');
    else {
      prompt = renderPrompt(agent.role, name);
      logger.warn({ prompt: agent.prompt }, 'prompt file not found; using the default prompt for the role');
    }
    const orchestrator = firstWithRole(config, 'orchestrator');
    // Usage is counted every day (the dashboard shows it); only a configured budget stops the model.
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
    let model = baseModel;
    // Claude Code reports what each run cost; other providers are priced from the model's name.
    if (agent.budget?.costPerDayUsd !== undefined && !price && agent.model.provider !== 'claude-code') {
      logger.warn({ model: baseModel.id }, 'no price known for this model: the cost budget is not enforced (set model.price)');
    }
    if (agent.budget) budgetSpent = () => budget.exhausted() !== undefined;
    modelUsage = () => {
      const u = budget.usage;
      return { model: baseModel.id, tokensToday: u.inputTokens + u.outputTokens, costTodayUsd: price || u.costReported ? u.costUsd : null, ...agent.budget };
    };
    model = withBudget(baseModel, budget, (reason) => {
      if (!budget.takeNotice()) return;
      logger.warn({ reason }, 'model budget spent; not calling the model until 00:00 UTC');
      // Tell the owner once a day, through the relay.
      const relay = firstWithRole(config, 'relay');
      void bridge
        .append({ from: name, ...(relay ? { to: relay } : {}), type: 'notification', content: `${name} stopped using its model for today: ${reason}. It resets at 00:00 UTC.` })
        .catch((err: Error) => logger.error({ err }, 'could not send the budget notice'));
    });
    // Every role uses the store: the relay's ledger, the autonomous agent's queue, the
    // orchestrator's claims on requests (shared with Claude Code sessions), granted memory tools.
    const store: Store = await openStore(storeSpec(config, { waitForServerMs: WAIT_FOR_SERVER_MS }), logger, whileOpening('store'));
    cleanup.push(() => store.close());
    outages = () => {
      const out: string[] = [];
      const b = bridge.unavailable?.();
      const s = store.unavailable?.();
      if (b) out.push(`bridge: ${b}`);
      if (s) out.push(`store: ${s}`);
      return out;
    };
    // Agents on other hosts pause through the shared store.
    if (!storeIsLocalFile(config)) pause.share(() => readSharedPause(store.memory));
    const tools = grantedTools(agent, config, bridge, logger, store);
    const redact = createRedactor(options.secrets ?? []);
    const role = await options.createRole({
      agent,
      config,
      bridge,
      model,
      logger,
      prompt,
      stats,
      tools,
      redact,
      ...(store ? { store } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      pause: { paused: () => pause.state.paused, untilResumed: (signal) => pause.untilResumed(signal) },
      problems,
      requestShutdown: (reason) => shutdownWith(reason),
    });
    roleHealth = () => role.health?.() ?? {};
    const processed = new ProcessedLog(join(config.stateDir, 'agents', name, 'processed.ids'));

    const stopping = new AbortController();
    let inFlight: Promise<void> | undefined;

    let failWith: (err: unknown) => void = () => {};
    const failed = new Promise<unknown>((resolve) => (failWith = resolve));
    let shutdownWith: (reason: string) => void = () => {};
    const shutdown = new Promise<string>((resolve) => (shutdownWith = resolve));

    /**
     * Tells the sender of a request that it failed, as its one response (nothing if someone
     * answered it meanwhile). Built from the message's status record, which keeps the chat it
     * came from however large the message was.
     */
    const tellFailure = async (msg: BridgeMessage, why: string): Promise<void> => {
      if (msg.type !== 'request') return;
      const fields = replyFields(statusRecord(msg, 'done'));
      await bridge.answer(msg.id, { from: name, content: redact(`${name}: ${why}`), ...fields, metadata: { ...fields.metadata, failed: true } });
    };

    /**
     * Whether `msg` needs nothing more from anyone: done on the bridge now, or a request that has
     * its response (a crash, or a Claude Code session, got there first; it is completed here).
     * Asked of every message, not only old ones: the bridge's state decides, not a time window.
     */
    const settled = async (msg: BridgeMessage): Promise<boolean> => {
      if ((await bridge.get(msg.id))?.status === 'done') return true;
      if (msg.type !== 'request' || (await bridge.answerOf(msg.id)) === undefined) return false;
      await bridge.markDone(msg.id);
      return true;
    };

    /** A message nobody can handle (too large, nested too deep): never fatal, never repeated, never a wall. */
    const quarantine = async (msg: BridgeMessage, reason: string): Promise<void> => {
      stats.errors.quarantined = (stats.errors.quarantined ?? 0) + 1;
      logger.warn({ id: msg.id, from: msg.from.slice(0, 200), type: msg.type, reason }, 'quarantined a bridge message: not handled');
      await tellFailure(msg, `your message ${msg.id} was not handled: ${reason}. Send it smaller (put large content in a file and send its path).`);
      await bridge.markDone(msg.id);
    };

    /** A revisit: the role left the message pending for someone else (a session that claimed it) for now. */
    const handleOnce = async (msg: BridgeMessage): Promise<Revisit | undefined> => {
      // One message never holds the agent longer than this, however the retries add up. A timer
      // cleared when the message is done: AbortSignal.timeout kept ~1 KiB per message alive for
      // the whole 10 minutes (60 000 of them at 100 messages/s; bench/relay-memory.ts).
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), options.messageTimeoutMs ?? 600_000).unref();
      try {
        return await handleWithin(msg, AbortSignal.any([stopping.signal, deadline.signal]));
      } finally {
        clearTimeout(timer);
      }
    };
    const handleWithin = async (msg: BridgeMessage, signal: AbortSignal): Promise<Revisit | undefined> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const outcome = await role.handle(msg, signal);
          problems.delete('handling');
          return outcome ?? undefined;
        } catch (err) {
          if (stopping.signal.aborted) throw err;
          if (isAgentnetError(err) && err.code.startsWith('BRIDGE_')) throw err; // the bridge itself: see below
          stats.errors.handling = (stats.errors.handling ?? 0) + 1;
          problems.add('handling');
          // Again only what can succeed later, and only if no tool acted yet (tools must not run twice).
          const again = retryable(err).retry && !(err as { sideEffects?: boolean }).sideEffects && attempt < maxAttempts && !signal.aborted;
          logger.warn({ id: msg.id, attempt, err, retry: again }, 'handling failed');
          if (!again) {
            // Never leave the sender waiting in silence.
            const why = isAgentnetError(err, 'BUDGET_EXHAUSTED') ? err.message : `could not handle this (${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}): ${(err as Error).message}`;
            await tellFailure(msg, why);
            return undefined;
          }
          await sleep(Math.min(30_000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random()), undefined, { signal: stopping.signal });
          await pause.untilResumed(stopping.signal); // a retry is new work: not while paused
        }
      }
    };

    // Only a relay of this network may order a stop (it asked its owner to confirm first).
    const isShutdownOrder = (msg: BridgeMessage) =>
      msg.type === 'notification' && msg.metadata?.control === 'shutdown' && config.agents[msg.from]?.role === 'relay';

    // Messages are handled one at a time: those the subscription delivers and those offered again.
    let queue: Promise<void> = Promise.resolve();
    const revisits = new Set<NodeJS.Timeout>();
    const offer = (msg: BridgeMessage): Promise<void> => {
      const run = queue.then(() => take(msg));
      queue = run.catch(() => {});
      return run;
    };
    /** Offers a message left to someone else again, if nobody answered it meanwhile. */
    const revisit = (id: string, at: number) => {
      const timer = setTimeout(() => {
        revisits.delete(timer);
        if (stopping.signal.aborted) return;
        void bridge
          .get(id)
          .then((fresh) => (fresh?.status === 'pending' && !stopping.signal.aborted ? offer(fresh) : undefined))
          .catch((err: unknown) => logger.warn({ id, err }, 'could not look at a message again'));
      }, Math.max(0, at - Date.now()));
      timer.unref();
      revisits.add(timer);
    };
    const take = async (msg: BridgeMessage): Promise<void> => {
      // A backlog of messages whose handling never waits on real I/O would run as one chain of
      // microtasks and starve /health (the monitor would call the agent down): a turn per message.
      await yieldToEventLoop();
      if (recipientOf(msg, config) !== name || processed.has(msg.id)) return;
      if (isShutdownOrder(msg)) {
        await bridge.markDone(msg);
        processed.add(msg.id);
        // An order from before this start was for the run that was down then: it was not running to obey it.
        if (Date.parse(msg.ts) < stats.startedAt) {
          logger.warn({ id: msg.id, from: msg.from, ts: msg.ts }, 'ignoring a shutdown order given before this agent started');
          return;
        }
        logger.warn({ id: msg.id, from: msg.from }, 'asked to stop by the network (shutdown all)');
        shutdownWith(`shutdown all, from ${msg.from}`);
        return;
      }
      if (!role.accepts(msg)) return;
      await pause.untilResumed(stopping.signal);
      inFlight = (async () => {
        if (await settled(msg)) return processed.add(msg.id);
        const poison = poisonReason(msg);
        if (poison !== undefined) {
          await quarantine(msg, poison);
          return processed.add(msg.id);
        }
        stats.bridgeLagSeconds = Math.max(0, (Date.now() - Date.parse(msg.ts)) / 1000);
        logger.info({ id: msg.id, from: msg.from, type: msg.type }, 'took message');
        const outcome = await handleOnce(msg);
        if (outcome) return revisit(msg.id, outcome.revisitAt);
        await bridge.markDone(msg);
        processed.add(msg.id);
        stats.processed[msg.type] = (stats.processed[msg.type] ?? 0) + 1;
        stats.lastActivity = Date.now();
      })();
      try {
        await inFlight;
      } catch (err) {
        if (stopping.signal.aborted) return;
        // The bridge (or the disk under it) failed us: a skipped message would be lost, so stop
        // taking messages (this one stays unacknowledged) and let the supervisor restart us.
        logger.error({ id: msg.id, err }, 'cannot record the outcome of a message; stopping so it is delivered again');
        failWith(err);
        await sub.close();
      } finally {
        inFlight = undefined;
      }
    };
    const sub = bridge.subscribe({ consumer: name, from: 'start', filter: { status: 'pending' } }, offer);
    await sub.ready;
    if (role.start) {
      await role.start();
      cleanup.push(() => role.stop?.(0));
    }
    options.signal?.removeEventListener('abort', abortWaits);
    logger.info({ health: health.url, role: agent.role, model: model.id, pid: process.pid }, 'started');

    let stopped: Promise<void> | undefined;
    return {
      healthUrl: `${health.url}/health`,
      logFile,
      failed,
      shutdown,
      stop() {
        stopped ??= (async () => {
          logger.info({}, 'stopping');
          // Takes nothing new from now; a message in hand stays unacknowledged until it is done.
          // Awaited after the grace below: saving its cursor may be waiting for an unreachable server.
          const subClosed = sub.close().catch((err: unknown) => logger.warn({ err }, 'closing the bridge subscription failed'));
          for (const t of revisits) clearTimeout(t);
          // Running tasks get the same grace; what is not finished by then goes back to the queue.
          const background = role.stop?.(options.graceMs ?? 10_000);
          const current = inFlight?.then(() => true, () => true);
          if (current) {
            const grace = new AbortController();
            const finished = await Promise.race([current, sleep(options.graceMs ?? 10_000, false, { signal: grace.signal }).catch(() => false)]);
            grace.abort();
            if (!finished) logger.warn({}, 'message in hand not finished in time; released for redelivery');
          }
          stopping.abort(new AgentnetError('BRIDGE_CLOSED', 'agent stopping'));
          // What still waits for an unreachable PostgreSQL fails now; the message stays pending for the next start.
          outageWaits.abort();
          // Let an aborted handler unwind (it sends nothing once aborted) before the bridge closes.
          if (current) await Promise.race([current, sleep(2000)]);
          await background;
          await subClosed;
          pause.close();
          await health.close();
          await bridge.close();
          await store?.close();
          logger.info({}, 'stopped');
          logger.flush();
        })();
        return stopped;
      },
    };
  };

  try {
    return await runWith();
  } catch (err) {
    for (const undo of cleanup.reverse()) await undo();
    logger.flush();
    throw err;
  }
}
