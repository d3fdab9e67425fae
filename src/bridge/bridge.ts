/** The Bridge contract: how agents exchange messages. Every backend implements exactly this. */
import type { MessageFilter } from './filter.ts';
import type { BridgeMessage, NewMessage } from './message.ts';

/**
 * A position in the bridge's stream of records, opaque to callers. A record is one state of
 * one message: appending a message is a record, marking it done is another.
 */
export type Cursor = string;

export type MessageHandler = (message: BridgeMessage, cursor: Cursor) => void | Promise<void>;

export interface SubscribeOptions {
  /** Only records matching this are handed to the handler (the cursor still moves past the rest). */
  filter?: MessageFilter;
  /** Where to start when there is no saved cursor for `consumer`. Default: `end`. */
  from?: 'start' | 'end' | Cursor;
  /**
   * Saves the cursor under this name after records are handled, so a restarted process resumes
   * where it stopped. A record whose handler had not finished is delivered again (at-least-once).
   */
  consumer?: string;
  /** Closes the subscription when aborted. */
  signal?: AbortSignal;
  /** Called when the handler throws; the record is then skipped. Default: log it. */
  onError?: (err: unknown, message: BridgeMessage) => void;
}

export interface Subscription {
  /** Resolves once the subscription is positioned: records appended after this are delivered. */
  readonly ready: Promise<void>;
  /** The position after the last record handled. */
  cursor(): Cursor | undefined;
  /** Stops delivery; an in-flight handler is not awaited and its record counts as unhandled. */
  close(): Promise<void>;
}

export interface ListOptions extends MessageFilter {
  /** Keep only the last N messages (after filtering). */
  limit?: number;
  /** Also read messages that rotation moved to archives. */
  includeArchived?: boolean;
}

export interface RotateOptions {
  /** Done messages whose last record is older than this move to the archive. Default 30. */
  olderThanDays?: number;
  /** The time rotation measures age from; tests move it forward. */
  now?: Date;
}

export interface RotateResult {
  /** Messages moved to archives. */
  archived: number;
  /** Messages left in the live bridge. */
  kept: number;
  /** Archive files written to. */
  archives: string[];
  /** Malformed lines moved out of the live bridge into quarantine. */
  quarantined: number;
}

/**
 * What `answer` did. `answered`: this call appended the response and marked the request done.
 * Otherwise nothing new was said: the request `already` has a response (shown; a request left
 * pending behind it by a crash is marked done now), or it was `done` without one.
 */
export type AnswerOutcome =
  | { answered: true; response: BridgeMessage; request: BridgeMessage }
  | { answered: false; reason: 'already-answered'; response: BridgeMessage; request: BridgeMessage }
  | { answered: false; reason: 'done'; request: BridgeMessage };

export interface Bridge {
  /** The backend's name (`jsonl`, `postgres`). */
  readonly backend: string;
  /** Appends a new message (status `pending` unless given) and returns it complete. */
  append(message: NewMessage): Promise<BridgeMessage>;
  /** The latest state of one message, from the live bridge or its archives. */
  get(id: string): Promise<BridgeMessage | undefined>;
  /** The latest state of each message, in the order they first appeared; filters apply to that state. */
  list(options?: ListOptions): Promise<BridgeMessage[]>;
  /**
   * Appends the message again with status `done`, unless its latest state is done already (then
   * that is returned). A message too large or too deep to write again gets a cut done record.
   */
  markDone(message: string | BridgeMessage): Promise<BridgeMessage>;
  /**
   * Answers request `requestId` exactly once, whoever else tries (other processes, Claude Code
   * sessions, a restart after a crash): under the bridge's lock, if the request is pending and no
   * response to it exists, appends `response` (with `replyTo` set) and the request's done record
   * in one write; otherwise appends no response. Throws BRIDGE_NOT_FOUND for an unknown id.
   */
  answer(requestId: string, response: Omit<NewMessage, 'type' | 'status'>): Promise<AnswerOutcome>;
  /** The response that answers request `requestId` (the first one, if a lockless writer added more). */
  answerOf(requestId: string): Promise<BridgeMessage | undefined>;
  /** Delivers records in order, from a cursor, until closed. */
  subscribe(options: SubscribeOptions, handler: MessageHandler): Subscription;
  /** Moves old done messages to archives without stopping readers or writers. */
  rotate(options?: RotateOptions): Promise<RotateResult>;
  /** Why the backend's server cannot be reached now (health shows it); undefined while it can. Server backends only. */
  unavailable?(): string | undefined;
  close(): Promise<void>;
}
