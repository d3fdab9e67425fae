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

/** An error that is not the channel's (a bug, a broken connection object): retried this many times, then given up. */
const UNKNOWN_ERROR_ATTEMPTS = 10;

/** The outbox's running state: its pacing, and how its loop is woken. */
interface OutboxState {
  o: OutboxOptions;
  /** Longest back-off. */
  max: number;
  stopping: AbortSignal;
  lastByChat: Map<string, number>;
  lastAny: number;
  /** Set by a wake-up during a pass: the loop looks again at once. */
  kicked: boolean;
  /** Set when the channel says it can send again: back-off waits are skipped once. */
  retryNow: boolean;
  wakeUp?: () => void;
  /** Waiting for the outbox to have nothing pending. */
  idle: Array<() => void>;
}

export function startOutbox(o: OutboxOptions): Outbox {
  const stopping = new AbortController();
  const s: OutboxState = { o, max: o.maxBackoffMs ?? 60_000, stopping: stopping.signal, lastByChat: new Map(), lastAny: 0, kicked: false, retryNow: false, idle: [] };
  const wake = () => {
    s.kicked = true;
    s.wakeUp?.();
  };
  o.channel.onReady?.(() => {
    s.retryNow = true;
    wake();
  });
  const loop = runOutbox(s);

  return {
    wake,
    drained: async (timeoutMs) => {
      const done = new Promise<boolean>((r) => s.idle.push(() => r(true)));
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
      s.wakeUp?.();
      await loop;
    },
  };
}

/** Sends what is due, then sleeps until the next reply is due or a wake-up, until stopped. */
async function runOutbox(s: OutboxState): Promise<void> {
  while (!s.stopping.aborted) {
    s.kicked = false;
    let next: number;
    try {
      next = await sendDue(s);
    } catch (err) {
      s.o.logger.error({ err }, 'cannot read the ledger; retrying');
      next = Date.now() + 1000;
    }
    if (s.kicked || s.stopping.aborted) continue;
    const wait = next === Infinity ? 60_000 : Math.max(0, next - Date.now());
    if (wait === 0) continue;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, wait);
      s.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
    s.wakeUp = undefined;
  }
}

/** One pass: each chat's oldest reply that is due is sent; resolves when to look again (Infinity: nothing waits). */
async function sendDue(s: OutboxState): Promise<number> {
  const { o } = s;
  let next = Infinity;
  // Each chat's oldest reply (only it may go: a chat's order is never overtaken), however many chats wait.
  const heads = await o.ledger.due(o.agent, Infinity);
  if (heads.length === 0) for (const l of s.idle.splice(0)) l();
  const skipBackoff = s.retryNow;
  s.retryNow = false;
  let outage = false;
  for (const r of heads) {
    if (s.stopping.aborted) break;
    const readyAt = Math.max(skipBackoff || outage ? 0 : r.notBefore, (s.lastByChat.get(r.chatId) ?? 0) + o.perChatMs);
    if (outage || readyAt > Date.now()) {
      next = Math.min(next, outage ? Date.now() + 1000 : readyAt);
      continue;
    }
    const result = await sendOne(s, r);
    if (result === 'later') {
      // The provider is down or limiting: other chats would fail the same way now.
      outage = true;
      next = Math.min(next, Date.now() + retryDelay(r.attempts, s.max));
    } else next = Math.min(next, Date.now()); // this chat may have more
  }
  return next;
}

/** Sends one reply, paced per instance; a failure leaves it in the ledger for later, or gives it up. */
async function sendOne(s: OutboxState, r: OutboundRecord): Promise<'sent' | 'later' | 'failed'> {
  const { o } = s;
  const gap = s.lastAny + o.perInstanceMs - Date.now();
  if (gap > 0) await sleep(gap);
  s.lastAny = Date.now();
  let id: string;
  try {
    id = await o.channel.send(r.chatId, r.text, r.buttons ? { buttons: r.buttons } : {});
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    const known = err instanceof ChannelError;
    if ((known && err.retryable) || (!known && r.attempts + 1 < UNKNOWN_ERROR_ATTEMPTS)) {
      const wait = (known ? err.retryAfterMs : undefined) ?? retryDelay(r.attempts, s.max);
      await o.ledger.retryLater(r.seq, message, Date.now() + wait);
      o.logger.warn({ seq: r.seq, attempts: r.attempts + 1, retryInMs: Math.round(wait), err: message }, 'reply not sent; it waits in the ledger');
      return 'later';
    }
    await o.ledger.markFailed(r.seq, message);
    o.logger.error({ seq: r.seq, attempts: r.attempts + 1, err: message }, 'reply refused by the provider; given up');
    return 'failed';
  }
  // Sent: from here on nothing may send it again, whatever fails.
  s.lastByChat.set(r.chatId, Date.now());
  await recordSent(s, r, id);
  return 'sent';
}

/** Records a sent reply, retrying until the ledger takes it (or the outbox stops), then tells the listener. */
async function recordSent(s: OutboxState, r: OutboundRecord, id: string): Promise<void> {
  const { o } = s;
  for (let attempt = 1; ; attempt++) {
    try {
      await o.ledger.markSent(r.seq, id, Date.now());
      break;
    } catch (err) {
      o.logger.error({ seq: r.seq, attempt, err }, 'reply sent but not recorded as sent; retrying the record');
      if (s.stopping.aborted) throw err;
      await sleep(Math.min(5000, 200 * attempt));
    }
  }
  o.logger.info({ seq: r.seq, chars: r.text.length, providerId: id }, 'reply sent');
  try {
    o.onSent?.(r, id);
  } catch {
    // a listener's problem, not the delivery's
  }
}
