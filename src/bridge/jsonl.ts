/** The jsonl bridge backend: the seed's append-only messages.jsonl, made multi-process safe. */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentnetError } from '../errors.ts';
import { silentLogger, type Logger } from '../log/logger.ts';
import type { Bridge, ListOptions, MessageHandler, RotateOptions, SubscribeOptions } from './bridge.ts';
import { assertConsumerName, FileCursorStore } from './cursor-store.ts';
import { matchesFilter } from './filter.ts';
import { identityOf, jsonlFiles } from './jsonl-files.ts';
import { archivePaths, findLatest, latestStates } from './jsonl-read.ts';
import { rotateJsonl } from './jsonl-rotate.ts';
import { JsonlSubscription } from './jsonl-subscription.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import { buildMessage, toLine, withStatus, type BridgeMessage, type NewMessage } from './message.ts';
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
  let closed = false;

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
      return stable(() => findLatest(files, id, logger));
    },

    async list(opts: ListOptions = {}) {
      assertOpen();
      const paths = opts.includeArchived ? [...archivePaths(files), files.live] : [files.live];
      const all = [...stable(() => latestStates(paths, logger)).values()].filter((m) => matchesFilter(m, opts));
      return opts.limit !== undefined ? all.slice(Math.max(0, all.length - opts.limit)) : all;
    },

    async markDone(message: string | BridgeMessage) {
      const current = typeof message === 'string' ? stable(() => findLatest(files, message, logger)) : message;
      if (!current) {
        throw new AgentnetError('BRIDGE_NOT_FOUND', `no bridge message with id "${message as string}" (see: agentnet bridge ls)`);
      }
      if (current.status === 'done') return current;
      return appendRecord(withStatus(current, 'done'));
    },

    subscribe(opts: SubscribeOptions, handler: MessageHandler) {
      assertOpen();
      if (opts.consumer !== undefined) assertConsumerName(opts.consumer);
      mkdirSync(files.dir, { recursive: true });
      const sub = new JsonlSubscription(
        { files, logger, cursors, pollIntervalMs: options.pollIntervalMs ?? 1000, watch: options.watch ?? true },
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
    },
  };
}
