/**
 * The agent's message loop: takes the pending messages addressed to the agent, one at a time,
 * hands each to the role, and marks it done only after the role finished. A message is handled
 * exactly once: one that is settled on the bridge (done, or a request already answered) is only
 * completed, one nobody can handle is quarantined, and one left to someone else (a session's
 * claim) is offered again later. Each message gets its own turn of the event loop, so a backlog
 * never starves /health.
 */
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { poisonReason, replyFields, statusRecord, traceOf, type Bridge, type BridgeMessage, type Subscription } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import { AgentnetError, isAgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { retryable } from '../models/retry.ts';
import type { ProcessedLog } from './processed.ts';
import type { Revisit, Role } from './role.ts';
import { recipientOf } from './routing.ts';
import { observe, type AgentStats } from './stats.ts';
import { recordAppend } from './traced.ts';
import type { Tracer } from './tracer.ts';

export interface MessageLoopOptions {
  /** The agent's name: its consumer on the bridge, and who answers. */
  name: string;
  config: Config;
  bridge: Bridge;
  role: Role;
  logger: Logger;
  stats: AgentStats;
  /** The agent's health problems: `handling` while messages fail. */
  problems: Set<string>;
  /** Ids handled already (across restarts, even with a lost cursor). */
  processed: ProcessedLog;
  /** Waits while the network is paused. */
  untilResumed(signal: AbortSignal): Promise<void>;
  redact(text: string): string;
  /** Attempts per message before the sender is told it failed. */
  maxAttempts: number;
  /** The longest one message may take. */
  messageTimeoutMs: number;
  /** A relay of the network ordered this agent to stop for good. */
  onShutdownOrder(reason: string): void;
  /** Records each message's hops and runs its handling in its trace. */
  tracer?: Tracer;
}

export class MessageLoop {
  /** Settles (with the cause) when the loop stopped taking messages because the bridge failed. */
  readonly failed: Promise<unknown>;
  readonly #o: MessageLoopOptions;
  #failWith: (err: unknown) => void = () => {};
  readonly #stopping = new AbortController();
  #sub: Subscription | undefined;
  #inFlight: Promise<void> | undefined;
  /** Messages are handled one at a time: those the subscription delivers and those offered again. */
  #queue: Promise<void> = Promise.resolve();
  readonly #revisits = new Set<NodeJS.Timeout>();

  constructor(options: MessageLoopOptions) {
    this.#o = options;
    this.failed = new Promise<unknown>((resolve) => (this.#failWith = resolve));
  }

  /** Subscribes to the pending messages; resolves once the subscription is ready. */
  async start(): Promise<void> {
    const { bridge, name } = this.#o;
    this.#sub = bridge.subscribe({ consumer: name, from: 'start', filter: { status: 'pending' } }, (msg) => this.#offer(msg));
    await this.#sub.ready;
  }

  /**
   * Takes nothing new from now; a message in hand stays unacknowledged until it is done. The
   * returned promise (the subscription closing) is awaited after the grace: saving its cursor
   * may be waiting for an unreachable server.
   */
  stopTaking(): Promise<void> {
    const closed = (this.#sub?.close() ?? Promise.resolve()).catch((err: unknown) => this.#o.logger.warn({ err }, 'closing the bridge subscription failed'));
    for (const t of this.#revisits) clearTimeout(t);
    return closed;
  }

  /**
   * Gives the message in hand `graceMs` to finish, then aborts it (`onAbort` runs then, to end
   * waits for an unreachable server) and lets it unwind: it sends nothing once aborted.
   */
  async finish(graceMs: number, onAbort: () => void): Promise<void> {
    const current = this.#inFlight?.then(() => true, () => true);
    if (current) {
      const grace = new AbortController();
      const finished = await Promise.race([current, sleep(graceMs, false, { signal: grace.signal }).catch(() => false)]); // the timer's abort is its only failure
      grace.abort();
      if (!finished) this.#o.logger.warn({}, 'message in hand not finished in time; released for redelivery');
    }
    this.#stopping.abort(new AgentnetError('BRIDGE_CLOSED', 'agent stopping'));
    onAbort();
    if (current) await Promise.race([current, sleep(2000)]);
  }

  #offer(msg: BridgeMessage): Promise<void> {
    const run = this.#queue.then(() => this.#take(msg));
    this.#queue = run.catch(() => {}); // the caller of #offer gets run's failure; the queue only moves on
    return run;
  }

  /** Offers a message left to someone else again, if nobody answered it meanwhile. */
  #revisit(id: string, at: number): void {
    const stopping = this.#stopping.signal;
    const timer = setTimeout(() => {
      this.#revisits.delete(timer);
      if (stopping.aborted) return;
      void this.#o.bridge
        .get(id)
        .then((fresh) => (fresh?.status === 'pending' && !stopping.aborted ? this.#offer(fresh) : undefined))
        .catch((err: unknown) => this.#o.logger.warn({ id, err }, 'could not look at a message again'));
    }, Math.max(0, at - Date.now()));
    timer.unref();
    this.#revisits.add(timer);
  }

  async #take(msg: BridgeMessage): Promise<void> {
    const { config, name, processed, role, logger } = this.#o;
    // A backlog of messages whose handling never waits on real I/O would run as one chain of
    // microtasks and starve /health (the monitor would call the agent down): a turn per message.
    await yieldToEventLoop();
    if (recipientOf(msg, config) !== name || processed.has(msg.id)) return;
    if (this.#isShutdownOrder(msg)) return this.#obeyShutdown(msg);
    if (!role.accepts(msg)) return;
    await this.#o.untilResumed(this.#stopping.signal);
    this.#inFlight = this.#process(msg);
    try {
      await this.#inFlight;
    } catch (err) {
      if (this.#stopping.signal.aborted) return;
      // The bridge (or the disk under it) failed us: a skipped message would be lost, so stop
      // taking messages (this one stays unacknowledged) and let the supervisor restart us.
      logger.error({ id: msg.id, err }, 'cannot record the outcome of a message; stopping so it is delivered again');
      this.#failWith(err);
      await this.#sub?.close();
    } finally {
      this.#inFlight = undefined;
    }
  }

  /** One message, from the check that it still needs handling to its mark as done. */
  async #process(msg: BridgeMessage): Promise<void> {
    const { bridge, processed, stats, logger } = this.#o;
    if (await this.#settled(msg)) return processed.add(msg.id);
    const poison = poisonReason(msg);
    if (poison !== undefined) {
      await this.#quarantine(msg, poison);
      return processed.add(msg.id);
    }
    stats.bridgeLagSeconds = Math.max(0, (Date.now() - Date.parse(msg.ts)) / 1000);
    observe(stats, 'bridge_wait', stats.bridgeLagSeconds);
    logger.info({ id: msg.id, from: msg.from, type: msg.type }, 'took message');
    const outcome = await this.#handleInTrace(msg);
    if (outcome) return this.#revisit(msg.id, outcome.revisitAt);
    await bridge.markDone(msg);
    processed.add(msg.id);
    stats.processed[msg.type] = (stats.processed[msg.type] ?? 0) + 1;
    stats.lastActivity = Date.now();
  }

  /**
   * Handles the message in its trace (the one it carries, or the one its id gives a seed
   * writer's): its append is recorded for a sender that did not record it, then its taking.
   */
  #handleInTrace(msg: BridgeMessage): Promise<Revisit | undefined> {
    const { tracer, config } = this.#o;
    if (!tracer) return this.#handleOnce(msg);
    const trace = traceOf(msg);
    recordAppend(tracer, trace, msg, (a) => config.agents[a]?.role);
    tracer.hop(trace, 'claimed', msg.id, { type: msg.type });
    return tracer.run(trace, msg.id, () => this.#handleOnce(msg));
  }

  /** Only a relay of this network may order a stop (it asked its owner to confirm first). */
  #isShutdownOrder(msg: BridgeMessage): boolean {
    return msg.type === 'notification' && msg.metadata?.control === 'shutdown' && this.#o.config.agents[msg.from]?.role === 'relay';
  }

  async #obeyShutdown(msg: BridgeMessage): Promise<void> {
    const { bridge, processed, stats, logger } = this.#o;
    await bridge.markDone(msg);
    processed.add(msg.id);
    // An order from before this start was for the run that was down then: it was not running to obey it.
    if (Date.parse(msg.ts) < stats.startedAt) {
      logger.warn({ id: msg.id, from: msg.from, ts: msg.ts }, 'ignoring a shutdown order given before this agent started');
      return;
    }
    logger.warn({ id: msg.id, from: msg.from }, 'asked to stop by the network (shutdown all)');
    this.#o.onShutdownOrder(`shutdown all, from ${msg.from}`);
  }

  /**
   * Whether `msg` needs nothing more from anyone: done on the bridge now, or a request that has
   * its response (a crash, or a Claude Code session, got there first; it is completed here).
   * Asked of every message, not only old ones: the bridge's state decides, not a time window.
   */
  async #settled(msg: BridgeMessage): Promise<boolean> {
    const { bridge } = this.#o;
    if ((await bridge.get(msg.id))?.status === 'done') return true;
    if (msg.type !== 'request' || (await bridge.answerOf(msg.id)) === undefined) return false;
    await bridge.markDone(msg.id);
    return true;
  }

  /** A message nobody can handle (too large, nested too deep): never fatal, never repeated, never a wall. */
  async #quarantine(msg: BridgeMessage, reason: string): Promise<void> {
    const { stats, logger } = this.#o;
    stats.errors.quarantined = (stats.errors.quarantined ?? 0) + 1;
    logger.warn({ id: msg.id, from: msg.from.slice(0, 200), type: msg.type, reason }, 'quarantined a bridge message: not handled');
    await this.#tellFailure(msg, `your message ${msg.id} was not handled: ${reason}. Send it smaller (put large content in a file and send its path).`);
    await this.#o.bridge.markDone(msg.id);
  }

  /**
   * Tells the sender of a request that it failed, as its one response (nothing if someone
   * answered it meanwhile). Built from the message's status record, which keeps the chat it
   * came from however large the message was.
   */
  async #tellFailure(msg: BridgeMessage, why: string): Promise<void> {
    if (msg.type !== 'request') return;
    const { bridge, name, redact } = this.#o;
    const fields = replyFields(statusRecord(msg, 'done'));
    await bridge.answer(msg.id, { from: name, content: redact(`${name}: ${why}`), ...fields, metadata: { ...fields.metadata, failed: true } });
  }

  /** A revisit: the role left the message pending for someone else (a session that claimed it) for now. */
  async #handleOnce(msg: BridgeMessage): Promise<Revisit | undefined> {
    // One message never holds the agent longer than this, however the retries add up. A timer
    // cleared when the message is done: AbortSignal.timeout kept ~1 KiB per message alive for
    // the whole 10 minutes (60 000 of them at 100 messages/s; bench/relay-memory.ts).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), this.#o.messageTimeoutMs).unref();
    try {
      return await this.#handleWithin(msg, AbortSignal.any([this.#stopping.signal, deadline.signal]));
    } finally {
      clearTimeout(timer);
    }
  }

  async #handleWithin(msg: BridgeMessage, signal: AbortSignal): Promise<Revisit | undefined> {
    const { role, problems, stats, logger, maxAttempts } = this.#o;
    const stopping = this.#stopping.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await role.handle(msg, signal);
        problems.delete('handling');
        return outcome ?? undefined;
      } catch (err) {
        if (stopping.aborted) throw err;
        if (isAgentnetError(err) && err.code.startsWith('BRIDGE_')) throw err; // the bridge itself: see #take
        stats.errors.handling = (stats.errors.handling ?? 0) + 1;
        problems.add('handling');
        // Again only what can succeed later, and only if no tool acted yet (tools must not run twice).
        const again = retryable(err).retry && !(err as { sideEffects?: boolean }).sideEffects && attempt < maxAttempts && !signal.aborted;
        logger.warn({ id: msg.id, attempt, err, retry: again }, 'handling failed');
        if (!again) {
          // Never leave the sender waiting in silence.
          const why = isAgentnetError(err, 'BUDGET_EXHAUSTED') ? err.message : `could not handle this (${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}): ${(err as Error).message}`;
          await this.#tellFailure(msg, why);
          return undefined;
        }
        await sleep(Math.min(30_000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random()), undefined, { signal: stopping });
        await this.#o.untilResumed(stopping); // a retry is new work: not while paused
      }
    }
  }
}
