/**
 * Sends the ledger's pending replies through the channel: each chat's replies in order, paced
 * per chat and per instance (so a burst of notifications never looks like spam), waiting out a
 * provider outage with back-off while the replies stay in the ledger.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ChannelError, type Channel } from '../channels/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Ledger, OutboundRecord } from '../store/index.ts';

export interface OutboxOptions {
  agent: string;
  ledger: Ledger;
  channel: Channel;
  logger: Logger;
  /** At least this long between two messages to one chat. */
  perChatMs: number;
  /** At least this long between any two messages of the instance. */
  perInstanceMs: number;
  /** Longest wait between retries while the provider is down (default 60 s). */
  maxBackoffMs?: number;
  onSent?: (record: OutboundRecord, providerId: string) => void;
}

export interface Outbox {
  /** Something was enqueued: look now. */
  wake(): void;
  /** Resolves true once nothing is pending (or false after `timeoutMs`). */
  drained(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

const retryDelay = (attempts: number, max: number) => Math.min(max, 1000 * 2 ** Math.min(attempts, 16)) * (0.75 + Math.random() / 4);

export function startOutbox(o: OutboxOptions): Outbox {
  const stopping = new AbortController();
  let wakeUp: (() => void) | undefined;
  let kicked = false;
  /** Set when the channel says it can send again: back-off waits are skipped once. */
  let retryNow = false;
  const lastByChat = new Map<string, number>();
  let lastAny = 0;
  const max = o.maxBackoffMs ?? 60_000;
  const idle: Array<() => void> = [];

  const wake = () => {
    kicked = true;
    wakeUp?.();
  };
  o.channel.onReady?.(() => {
    retryNow = true;
    wake();
  });

  /** An error that is not the channel's (a bug, a broken connection object): retried this many times, then given up. */
  const UNKNOWN_ERROR_ATTEMPTS = 10;

  const sendOne = async (r: OutboundRecord): Promise<'sent' | 'later' | 'failed'> => {
    const gap = lastAny + o.perInstanceMs - Date.now();
    if (gap > 0) await sleep(gap);
    lastAny = Date.now();
    let id: string;
    try {
      id = await o.channel.send(r.chatId, r.text);
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const known = err instanceof ChannelError;
      if ((known && err.retryable) || (!known && r.attempts + 1 < UNKNOWN_ERROR_ATTEMPTS)) {
        const wait = (known ? err.retryAfterMs : undefined) ?? retryDelay(r.attempts, max);
        await o.ledger.retryLater(r.seq, message, Date.now() + wait);
        o.logger.warn({ seq: r.seq, attempts: r.attempts + 1, retryInMs: Math.round(wait), err: message }, 'reply not sent; it waits in the ledger');
        return 'later';
      }
      await o.ledger.markFailed(r.seq, message);
      o.logger.error({ seq: r.seq, attempts: r.attempts + 1, err: message }, 'reply refused by the provider; given up');
      return 'failed';
    }
    // Sent: from here on nothing may send it again, whatever fails.
    lastByChat.set(r.chatId, Date.now());
    for (let attempt = 1; ; attempt++) {
      try {
        await o.ledger.markSent(r.seq, id, Date.now());
        break;
      } catch (err) {
        o.logger.error({ seq: r.seq, attempt, err }, 'reply sent but not recorded as sent; retrying the record');
        if (stopping.signal.aborted) throw err;
        await sleep(Math.min(5000, 200 * attempt));
      }
    }
    o.logger.info({ seq: r.seq, chars: r.text.length, providerId: id }, 'reply sent');
    try {
      o.onSent?.(r, id);
    } catch {
      // a listener's problem, not the delivery's
    }
    return 'sent';
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      kicked = false;
      let next = Infinity;
      try {
        // Each chat's oldest reply (only it may go: a chat's order is never overtaken), however many chats wait.
        const heads = await o.ledger.due(o.agent, Infinity);
        if (heads.length === 0) for (const l of idle.splice(0)) l();
        const skipBackoff = retryNow;
        retryNow = false;
        let outage = false;
        for (const r of heads) {
          if (stopping.signal.aborted) break;
          const readyAt = Math.max(skipBackoff || outage ? 0 : r.notBefore, (lastByChat.get(r.chatId) ?? 0) + o.perChatMs);
          if (outage || readyAt > Date.now()) {
            next = Math.min(next, outage ? Date.now() + 1000 : readyAt);
            continue;
          }
          const result = await sendOne(r);
          if (result === 'later') {
            // The provider is down or limiting: other chats would fail the same way now.
            outage = true;
            next = Math.min(next, Date.now() + retryDelay(r.attempts, max));
          } else next = Math.min(next, Date.now()); // this chat may have more
        }
      } catch (err) {
        o.logger.error({ err }, 'cannot read the ledger; retrying');
        next = Date.now() + 1000;
      }
      if (kicked || stopping.signal.aborted) continue;
      const wait = next === Infinity ? 60_000 : Math.max(0, next - Date.now());
      if (wait === 0) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  })();

  return {
    wake,
    drained: async (timeoutMs) => {
      const done = new Promise<boolean>((r) => idle.push(() => r(true)));
      wake();
      const timer = new AbortController();
      try {
        return await Promise.race([done, sleep(timeoutMs, false, { signal: timer.signal })]);
      } finally {
        timer.abort();
      }
    },
    async stop() {
      stopping.abort();
      wakeUp?.();
      await loop;
    },
  };
}
