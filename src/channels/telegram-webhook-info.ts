/**
 * What Telegram's getWebhookInfo says about a webhook channel: whether the webhook is still ours,
 * whether a delivery failed since the last check, whether updates pile up; and whether it
 * confirms that nothing waits (a receive cycle, for a webhook nobody has called for a while).
 */
import type { TelegramWebhookInfo } from './payloads.ts';

/** What the previous check saw (the first compares with the channel's start). */
export interface WebhookCheck {
  /** ms since the epoch. */
  checkedAt: number;
  pending?: number;
  /** Unix seconds of the delivery error the previous check saw. */
  errorDate?: number;
}

export interface WebhookJudgement {
  /** One sentence each; none when all is well. */
  problems: string[];
  /** Telegram holds nothing for us and reports no new error: as good as a webhook call. */
  confirmed: boolean;
  /** What to compare the next check with. */
  check: WebhookCheck;
}

/** Judges one answer; `expectedUrl` is the address the relay registered, when it did. */
export function judgeWebhookInfo(info: TelegramWebhookInfo, last: WebhookCheck, now: number, expectedUrl?: string): WebhookJudgement {
  const problems: string[] = [];
  if (info.url === '') problems.push('no webhook is set at Telegram (another program removed it, or it was never registered): set channel.webhook.url, or register it with setWebhook');
  else if (expectedUrl !== undefined && info.url !== expectedUrl) problems.push(`Telegram posts this bot's updates to ${info.url}, not to ${expectedUrl}: another program registered its own webhook`);
  const date = info.last_error_date;
  // Newer than the last check (seconds against milliseconds: a second's slack), and not the error it saw.
  const fresh = date !== undefined && date !== last.errorDate && date * 1000 > last.checkedAt - 1000;
  if (fresh) problems.push(`Telegram could not deliver to the webhook at ${new Date(date * 1000).toISOString()}: ${info.last_error_message ?? 'no reason given'}`);
  const pending = info.pending_update_count;
  if (last.pending !== undefined && pending > last.pending) problems.push(`${pending} updates wait at Telegram (${last.pending} at the last check): the webhook does not take them`);
  return {
    problems,
    confirmed: problems.length === 0 && pending === 0,
    check: { checkedAt: now, pending, ...(date !== undefined ? { errorDate: date } : {}) },
  };
}
