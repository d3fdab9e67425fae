/**
 * The postgres bridge backend, for agents on several machines: records in a table of the
 * network's schema (seq = their order), LISTEN/NOTIFY to wake subscribers, a slow poll as a
 * safety net, rotation into an archive table.
 */
import { AgentnetError } from '../errors.ts';
import { silentLogger, type Logger } from '../log/logger.ts';
import { checkSchemaName, createPgPool, DEFAULT_PG_SCHEMA, inTransaction, isPgConnectionError, loggedReachability, migratePg, redactPgUrl, type OutageReport } from '../pg/index.ts';
import type { AnswerOutcome, Bridge, ListOptions, MessageHandler, RotateOptions, SubscribeOptions } from './bridge.ts';
import { assertConsumerName } from './cursor-store.ts';
import { buildMessage, statusRecord, type BridgeMessage, type NewMessage } from './message.ts';
import { PgListener } from './pg-listener.ts';
import { BRIDGE_COMPONENT, BRIDGE_MIGRATIONS } from './pg-migrations.ts';
import { findAnswer, findLatest, insertRecord, listLatest, lockAppends, pgBridgeNames, recordText } from './pg-records.ts';
import { rotatePg } from './pg-rotate.ts';
import { PgSubscription } from './pg-subscription.ts';
import { OpenSubscriptions } from './open-subscriptions.ts';

export interface PgBridgeOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The schema holding the bridge's tables (default `agentnet`); one per network. */
  schema?: string;
  /** How often subscribers poll besides notifications, as a safety net. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * How long reads and writes wait out an unreachable server (a restart, a network drop) before
   * failing. Default 0: fail at once. Agents wait as long as it takes.
   */
  waitForServerMs?: number;
  /** Ends the waits for the server when aborted (the agent is stopping). */
  stopWaitingOn?: AbortSignal;
  /** Hears of outages as they start and end, from the first connect on (before the open returns). */
  reportOutage?: OutageReport;
  logger?: Logger;
}

/** Opens the bridge in PostgreSQL, creating or upgrading its tables. */
export async function createPgBridge(options: PgBridgeOptions): Promise<Bridge> {
  const logger = options.logger ?? silentLogger;
  const spec = { url: options.url, schema: checkSchemaName(options.schema ?? DEFAULT_PG_SCHEMA), waitForServerMs: options.waitForServerMs ?? 0, ...(options.stopWaitingOn ? { stopWaitingOn: options.stopWaitingOn } : {}) };
  const names = pgBridgeNames(spec.schema);
  const where = `PostgreSQL at ${redactPgUrl(spec.url)}, schema ${spec.schema}`;
  const reachability = loggedReachability('bridge', logger, options.reportOutage);
  const pool = createPgPool(spec, (err) => logger.warn({ error: err.message }, 'an idle PostgreSQL connection of the bridge failed; it will be replaced'), reachability);
  try {
    await migratePg(pool, spec, BRIDGE_COMPONENT, BRIDGE_MIGRATIONS);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const listener = new PgListener({ url: spec.url, channel: names.channel, logger });
  const subscriptions = new OpenSubscriptions();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new AgentnetError('BRIDGE_CLOSED', 'the bridge was closed; open a new one');
  };

  /** Runs a write or a read, translating PostgreSQL's failures: callers may retry them. */
  const translating =
    (code: 'BRIDGE_WRITE_FAILED' | 'BRIDGE_READ_FAILED', what: 'write' | 'read') =>
    async <T>(op: () => Promise<T>): Promise<T> => {
      try {
        return await op();
      } catch (err) {
        if (err instanceof AgentnetError) throw err;
        const reason = isPgConnectionError(err) ? 'it is unreachable' : `it refused the ${what}`;
        throw new AgentnetError(code, `cannot ${what === 'write' ? 'write to' : 'read'} the bridge in ${where}: ${reason} (${(err as Error).message}); retry`, { cause: err });
      }
    };
  const writing = translating('BRIDGE_WRITE_FAILED', 'write');
  const reading = translating('BRIDGE_READ_FAILED', 'read');

  const notFound = (id: string) => new AgentnetError('BRIDGE_NOT_FOUND', `no bridge message with id "${id}" (see: agentnet bridge ls)`);

  /** Appends the done record of `current` unless it is done; call under lockAppends. */
  const markDoneLocked = async (client: Parameters<typeof insertRecord>[0], current: BridgeMessage): Promise<BridgeMessage> => {
    if (current.status === 'done') return current;
    const done = statusRecord(current, 'done');
    await insertRecord(client, names, done, recordText(done));
    return done;
  };

  return {
    backend: 'postgres',

    async append(input: NewMessage) {
      assertOpen();
      const msg = buildMessage(input);
      const record = recordText(msg);
      return writing(() =>
        inTransaction(pool, async (client, attempt) => {
          await lockAppends(client, names);
          // Run again after a lost connection: the first try may have committed just before the cut.
          if (attempt > 1) {
            const earlier = await findLatest(client, msg.id, logger);
            if (earlier) return earlier;
          }
          await insertRecord(client, names, msg, record);
          return msg;
        }, { idempotent: true }),
      );
    },

    async get(id: string) {
      assertOpen();
      return reading(() => findLatest(pool, id, logger));
    },

    async list(opts: ListOptions = {}) {
      assertOpen();
      return reading(() => listLatest(pool, opts, logger));
    },

    async markDone(message: string | BridgeMessage) {
      assertOpen();
      if (typeof message !== 'string' && message.status === 'done') return message;
      const id = typeof message === 'string' ? message : message.id;
      return writing(() =>
        inTransaction(pool, async (client) => {
          // Read under the append lock, so two processes marking one message append one done record.
          await lockAppends(client, names);
          const current = (await findLatest(client, id, logger)) ?? (typeof message === 'string' ? undefined : message);
          if (!current) throw notFound(id);
          return markDoneLocked(client, current);
        }, { idempotent: true }), // run again, it finds the message done
      );
    },

    async answer(requestId, response) {
      assertOpen();
      const reply = buildMessage({ ...response, type: 'response', replyTo: requestId });
      const replyRecord = recordText(reply);
      return writing(() =>
        inTransaction(pool, async (client): Promise<AnswerOutcome> => {
          await lockAppends(client, names);
          const request = await findLatest(client, requestId, logger);
          if (!request) throw notFound(requestId);
          // Run again after a lost connection, the first try may have committed: then ours is the answer found here.
          const existing = await findAnswer(client, requestId, logger);
          if (existing) {
            const done = await markDoneLocked(client, request);
            return existing.id === reply.id ? { answered: true, response: existing, request: done } : { answered: false, reason: 'already-answered', response: existing, request: done };
          }
          if (request.status === 'done') return { answered: false, reason: 'done', request };
          await insertRecord(client, names, reply, replyRecord);
          return { answered: true, response: reply, request: await markDoneLocked(client, request) };
        }, { idempotent: true }),
      );
    },

    async answerOf(requestId: string) {
      assertOpen();
      return reading(() => findAnswer(pool, requestId, logger));
    },

    subscribe(opts: SubscribeOptions, handler: MessageHandler) {
      assertOpen();
      if (opts.consumer !== undefined) assertConsumerName(opts.consumer);
      const sub = new PgSubscription({ pool, listener, logger, pollIntervalMs: options.pollIntervalMs ?? 1000 }, opts, handler);
      return subscriptions.add(sub);
    },

    async rotate(opts?: RotateOptions) {
      assertOpen();
      return writing(() => rotatePg(pool, names, opts));
    },

    unavailable() {
      return reachability.describe();
    },

    async close() {
      if (closed) return;
      closed = true;
      pool.stopWaiting();
      await subscriptions.closeAll();
      await listener.close();
      await pool.end();
    },
  };
}
