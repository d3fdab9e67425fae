/** The jsonl bridge backend: the seed's append-only messages.jsonl, made multi-process safe. */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentnetError } from '../errors.ts';
import { silentLogger, type Logger } from '../log/logger.ts';
import type { AnswerOutcome, Bridge, ListOptions, MessageHandler, RotateOptions, SubscribeOptions } from './bridge.ts';
import { assertConsumerName, FileCursorStore } from './cursor-store.ts';
import { matchesFilter } from './filter.ts';
import { identityOf, jsonlFiles } from './jsonl-files.ts';
import { JsonlIndex } from './jsonl-index.ts';
import { SLICE_MS } from './loop-slice.ts';
import { archivePaths, findArchived, latestStates } from './jsonl-read.ts';
import { rotateJsonl } from './jsonl-rotate.ts';
import { JsonlSubscription } from './jsonl-subscription.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import { buildMessage, statusRecord, toLine, type BridgeMessage, type NewMessage } from './message.ts';
import { OpenSubscriptions } from './open-subscriptions.ts';

export interface JsonlBridgeOptions {
  /** The bridge file, e.g. `~/.agentnet/bridge/messages.jsonl` (the seed used `~/.claude/kami-bridge/messages.jsonl`). */
  path: string;
  /** fdatasync after every write: survives power loss, costs throughput. Default false. */
  fsync?: boolean;
  /** How often subscribers poll besides file-system notifications. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Use file-system notifications. Turn off on network mounts that do not deliver them. Default true. */
  watch?: boolean;
  /** How long a long read (a first start, a backlog) holds the event loop before it gives it a turn. Default 10 ms. */
  sliceMs?: number;
  /** How long an append or rotation waits for the bridge lock. Default 30 s. */
  lockTimeoutMs?: number;
  logger?: Logger;
}

export function createJsonlBridge(options: JsonlBridgeOptions): Bridge {
  const files = jsonlFiles(resolve(options.path));
  const logger = options.logger ?? silentLogger;
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  const writer = new JsonlWriter({ files, fsync: options.fsync ?? false, lockTimeoutMs, logger });
  const cursors = new FileCursorStore(files.cursors);
  const subscriptions = new OpenSubscriptions();
  const sliceMs = options.sliceMs ?? SLICE_MS;
  const index = new JsonlIndex(files, sliceMs);
  let closed = false;

  /** The latest state of `id` as far as the index has read: the live file, else the archives (newest first). */
  const indexedOrArchived = (id: string): BridgeMessage | undefined => index.latest(id) ?? findArchived(files, id, logger);

  /**
   * The same, with the index brought up to date first.
   * Synchronous, for reads under the lock: callers `await index.catchUp()` first, so a long
   * unread stretch of the file is read in slices before it.
   */
  const latest = (id: string): BridgeMessage | undefined => {
    index.refresh();
    return indexedOrArchived(id);
  };

  const notFound = (id: string) => new AgentnetError('BRIDGE_NOT_FOUND', `no bridge message with id "${id}" (see: agentnet bridge ls)`);

  /** A done record for `current`, unless its state is done already. */
  const doneLine = (current: BridgeMessage): { text: string; result: BridgeMessage } =>
    current.status === 'done' ? { text: '', result: current } : ((done) => ({ text: toLine(done), result: done }))(statusRecord(current, 'done'));

  /** Runs a whole-file read again if a rotation swapped the files under it (archives are read first). */
  const stable = <T>(read: () => T): T => {
    for (let attempt = 0; ; attempt++) {
      const before = identityOf(files.live);
      const result = read();
      if (identityOf(files.live) === before || attempt >= 3) return result;
    }
  };

  const assertOpen = () => {
    if (closed) throw new AgentnetError('BRIDGE_CLOSED', 'the bridge was closed; open a new one');
  };

  const appendRecord = async (msg: BridgeMessage): Promise<BridgeMessage> => {
    assertOpen();
    await writer.write(toLine(msg));
    return msg;
  };

  return {
    backend: 'jsonl',

    async append(input: NewMessage) {
      return appendRecord(buildMessage(input));
    },

    async get(id: string) {
      assertOpen();
      await index.catchUp();
      return indexedOrArchived(id);
    },

    async list(opts: ListOptions = {}) {
      assertOpen();
      const paths = opts.includeArchived ? [...archivePaths(files), files.live] : [files.live];
      const all = [...stable(() => latestStates(paths, logger)).values()].filter((m) => matchesFilter(m, opts));
      return opts.limit !== undefined ? all.slice(Math.max(0, all.length - opts.limit)) : all;
    },

    async markDone(message: string | BridgeMessage) {
      assertOpen();
      const id = typeof message === 'string' ? message : message.id;
      await index.catchUp();
      // Read under the lock, so two processes marking one message append one done record.
      return writer.writeWith(() => {
        const current = latest(id) ?? (typeof message === 'string' ? undefined : message);
        if (!current) throw notFound(id);
        return doneLine(current);
      });
    },

    async answer(requestId, response) {
      assertOpen();
      const reply = buildMessage({ ...response, type: 'response', replyTo: requestId });
      await index.catchUp();
      return writer.writeWith((): { text: string; result: AnswerOutcome } => {
        const request = latest(requestId);
        if (!request) throw notFound(requestId);
        const existing = index.answerOf(requestId);
        if (existing) {
          // Answered, and a crash (or a seed writer) left the request pending: complete it now.
          const done = doneLine(request);
          return { text: done.text, result: { answered: false, reason: 'already-answered', response: existing, request: done.result } };
        }
        if (request.status === 'done') return { text: '', result: { answered: false, reason: 'done', request } };
        const done = statusRecord(request, 'done');
        // One write: a crash cannot leave the response without the done record.
        return { text: toLine(reply) + toLine(done), result: { answered: true, response: reply, request: done } };
      });
    },

    async answerOf(requestId: string) {
      assertOpen();
      await index.catchUp();
      return index.answerOf(requestId);
    },

    subscribe(opts: SubscribeOptions, handler: MessageHandler) {
      assertOpen();
      if (opts.consumer !== undefined) assertConsumerName(opts.consumer);
      mkdirSync(files.dir, { recursive: true });
      const sub = new JsonlSubscription(
        { files, logger, cursors, pollIntervalMs: options.pollIntervalMs ?? 1000, sliceMs, watch: options.watch ?? true },
        opts,
        handler,
      );
      return subscriptions.add(sub);
    },

    async rotate(opts?: RotateOptions) {
      assertOpen();
      return rotateJsonl(files, logger, lockTimeoutMs, opts);
    },

    async close() {
      if (closed) return;
      closed = true;
      await subscriptions.closeAll();
      writer.close();
      index.close();
    },
  };
}
