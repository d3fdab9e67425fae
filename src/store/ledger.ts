/**
 * The delivery ledger of a chat channel: every inbound message is recorded before the provider
 * is told it arrived, every outbound reply is recorded with its state. A redelivery, a restart
 * mid-conversation or a provider outage therefore never loses a message and never sends one twice.
 */

export type InboundState = 'received' | 'handled' | 'refused';
export type OutboundState = 'pending' | 'sent' | 'failed';

/** Keys are per agent: two relays in one WhatsApp group each record the same message. */
export interface InboundRecord {
  /** `${chatId}_${idMessage}` on WhatsApp, the update_id on Telegram. */
  key: string;
  agent: string;
  chatId: string;
  sender: string;
  text: string;
  receivedAt: number;
  state: InboundState;
  /** The bridge request it was escalated as: chosen before it is appended, so a restart never escalates twice. */
  escalatedAs?: string;
  /** Set for a tap on a button (not typed text; `text` is the button's data): kept, so a restart still answers it as a tap. */
  tap?: InboundTap;
}

/** A tap on a button, as the channel reported it (the channel's InboundTap). */
export interface InboundTap {
  /** The provider's id of the tap, to answer it. */
  id: string;
  /** The provider's id of the message that carried the button. */
  messageId?: string;
}

/** A button under a reply (the channel's Button): kept with the reply, so a resend after a restart still has it. */
export interface OutboundButton {
  text: string;
  /** What a tap sends back. */
  data: string;
}

export interface NewOutbound {
  /** Idempotency key: enqueueing the same key again does nothing. */
  key: string;
  agent: string;
  chatId: string;
  text: string;
  /** One row of buttons under the text, where the channel has them. */
  buttons?: OutboundButton[];
  /** The trace of the request the reply answers (src/bridge/trace.ts), when known. */
  trace?: string;
}

export interface OutboundRecord extends NewOutbound {
  /** Order of enqueueing: a chat's replies go out in this order. */
  seq: number;
  state: OutboundState;
  attempts: number;
  /** Not tried again before this (ms since the epoch). */
  notBefore: number;
  createdAt: number;
  sentAt?: number;
  providerId?: string;
  /** The provider's later report: delivered, read, failed, noAccount... */
  delivery?: string;
  lastError?: string;
}

export interface LedgerStats {
  inbound: Record<InboundState, number>;
  outbound: Record<OutboundState, number>;
  /** Age of the oldest pending reply, ms. */
  oldestPendingMs?: number;
}

export interface Ledger {
  /** Records an inbound message; false when its key was recorded before (a redelivery). */
  receive(message: Omit<InboundRecord, 'state' | 'escalatedAs'>): Promise<boolean>;
  getInbound(agent: string, key: string): Promise<InboundRecord | undefined>;
  /** Inbound messages recorded but not finished, oldest first: what a restart handles again. */
  unfinished(agent: string): Promise<InboundRecord[]>;
  /** Remembers the bridge id an inbound message is escalated as, before the request is appended. */
  escalating(agent: string, key: string, requestId: string): Promise<void>;
  /** Queues replies; the ones whose key the agent used already are left as they are. Returns how many were new. */
  enqueue(replies: NewOutbound[]): Promise<number>;
  /** Finishes an inbound message and queues its replies, in one transaction. */
  finish(agent: string, key: string, state: Exclude<InboundState, 'received'>, replies?: NewOutbound[]): Promise<void>;
  /** The oldest pending reply of each chat (whatever the number of chats waiting), if it may go at `now`; `Infinity`: all of them. */
  due(agent: string, now: number): Promise<OutboundRecord[]>;
  markSent(seq: number, providerId: string, at: number): Promise<void>;
  /** A failed attempt that can succeed later: the reply (and its chat's later ones) waits until `notBefore`. */
  retryLater(seq: number, error: string, notBefore: number): Promise<void>;
  /** Gives up on a reply (the provider refused it for good). */
  markFailed(seq: number, error: string): Promise<void>;
  /** Records a delivery report for a sent reply. */
  delivery(providerId: string, status: string): Promise<void>;
  outbound(agent: string, options?: { chatId?: string; limit?: number }): Promise<OutboundRecord[]>;
  stats(agent: string, now: number): Promise<LedgerStats>;
}
