/**
 * The Channel contract: how the relay talks to its owner over a chat service (WhatsApp through
 * Green API, Telegram, a terminal). Every adapter implements exactly this, and one conformance
 * suite (test/conformance/channel.case.ts) runs against each.
 */
import { AgentnetError } from '../errors.ts';

/** One text message someone sent to the channel. */
export interface InboundMessage {
  /** Unique per channel; the delivery ledger's dedupe key (`${chatId}_${idMessage}` on WhatsApp, the update_id on Telegram). */
  key: string;
  /** Where a reply goes. */
  chatId: string;
  /** Who wrote it: a phone number (digits), a Telegram user id, `terminal`. Checked against the owner allow-list. */
  sender: string;
  senderName?: string;
  text: string;
  /** When the provider received it (ms since the epoch). */
  at: number;
  /**
   * Set when this is a tap on one of the buttons a sent message carried (Telegram's callback
   * query), not typed text: `text` is then the button's `data`, as the provider gave it (input
   * from outside, to be checked like any text).
   */
  tap?: InboundTap;
}

/** A tap on a button: how to answer it, and which sent message carried the button. */
export interface InboundTap {
  /** The provider's id of the tap, for `answerTap`. */
  id: string;
  /** The provider's id of the message whose button was tapped (what `send` resolved with), when the provider says. */
  messageId?: string;
}

/** Telegram's limit on a button's data, in bytes: the strictest of the channels that have buttons. */
export const BUTTON_DATA_MAX_BYTES = 64;

/** A button under a sent message; a tap on it comes back as an InboundMessage with `tap` and `data` as its text. */
export interface Button {
  /** What the button says. */
  text: string;
  /** What a tap sends back: 1 to BUTTON_DATA_MAX_BYTES bytes. */
  data: string;
}

export interface SendOptions {
  /** One row of buttons under the message, where the channel has them; a channel without them sends the text alone, so the text must say how to answer without. */
  buttons?: readonly Button[];
}

/** What a channel says about itself; `ok` is false while it has any problem (README "Channel health"). */
export interface ChannelHealth {
  ok: boolean;
  /** The provider's own word for its state: `authorized`, `yellowCard`, `polling`, `attached`... */
  state: string;
  /** The problems in one line, when there are any. */
  detail?: string;
  /** Why the channel is not ok, one sentence each (what is wrong, what to do); empty when it is. */
  problems: string[];
  /** The receiving side, for a channel with a provider. */
  receive?: ReceiveReport;
  /** The last canary, once one ran. */
  canary?: CanaryReport;
}

/** Whether the receiving side still hears: when it last completed a receive cycle, against the interval one is expected in. */
export interface ReceiveReport {
  mode: 'poll' | 'webhook';
  /** The last long poll that came back (with or without messages), webhook call or provider confirmation; null when none yet. */
  lastCycleAt: string | null;
  /** Longer than this without a cycle, the channel is deaf: the long poll's wait plus a margin, or a webhook's maxSilence. */
  expectedWithinMs: number;
}

/** One canary: the provider asked whether it still answers for this instance or bot. */
export interface CanaryReport {
  at: string;
  /** The provider answered as documented and reported nothing wrong. */
  ok: boolean;
  /** What it answered (`instance authorized`, `bot @name, webhook: 0 pending`) or why it failed. */
  detail: string;
}

/** A relay's channel in its /health: the channel's health and its type. */
export type ChannelReport = ChannelHealth & { type: Channel['type'] };

/** A delivery report for a message sent earlier (Green API's outgoingMessageStatus). */
export interface DeliveryStatus {
  providerId: string;
  chatId: string;
  status: string;
}

export interface Channel {
  readonly type: 'whatsapp' | 'telegram' | 'terminal';
  /** The longest text one `send` takes; the relay splits longer replies. */
  readonly maxLength: number;
  /** Checks the credentials and the account's state; throws a ChannelError saying what to fix. */
  start(): Promise<void>;
  /**
   * Inbound messages, oldest first. A message is acknowledged to the provider (deleted from
   * Green API's queue, confirmed to Telegram, answered 200 on a webhook) only when the consumer
   * asks for the next one, so whatever the consumer does with it first (record it) happens
   * before the provider forgets it. Ends when `signal` aborts.
   */
  receive(signal: AbortSignal): AsyncIterable<InboundMessage>;
  /** Sends one text (at most `maxLength`); resolves with the provider's message id. */
  send(chatId: string, text: string, options?: SendOptions): Promise<string>;
  /** Answers a tap (Telegram: stops the spinner on the phone), with a short notice or none. Only where there are buttons. */
  answerTap?(tapId: string, notice?: string): Promise<void>;
  /** Replaces a sent message's text and takes its buttons away. Only where the provider can edit. */
  edit?(chatId: string, messageId: string, text: string): Promise<void>;
  health(): Promise<ChannelHealth>;
  /**
   * Asks the provider whether it still answers for this instance or bot (Green API's
   * getStateInstance, Telegram's getMe; in webhook mode also the webhook's queue), records what it
   * found in `health()` and resolves with it. Never rejects. The relay runs it on `channel.canary`.
   */
  canary?(): Promise<CanaryReport>;
  /** Delivery reports, where the provider gives them. */
  onDelivery?(listener: (status: DeliveryStatus) => void): void;
  /** Called when sending may work again (a terminal attached); the relay retries at once. */
  onReady?(listener: () => void): void;
  stop(): Promise<void>;
}

export interface ChannelErrorOptions {
  /** Whether trying again later can help (provider down, rate limited, nobody attached). */
  retryable: boolean;
  /** The provider said when (Telegram's retry_after). */
  retryAfterMs?: number;
  /** HTTP status, 0 when the provider could not be reached. */
  status?: number;
  cause?: unknown;
}

export class ChannelError extends AgentnetError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  constructor(message: string, options: ChannelErrorOptions) {
    super('CHANNEL_REQUEST_FAILED', message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}
