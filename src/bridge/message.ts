/** The bridge's wire format (protocol v1): the seed's BridgeMessage, kept compatible. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AgentnetError } from '../errors.ts';
import { cutDeeperThan } from './deep-json.ts';
import { isTraceId, traceOf } from './trace.ts';

export const MESSAGE_TYPES = ['request', 'response', 'notification'] as const;
export const MESSAGE_STATUSES = ['pending', 'done'] as const;
export const PRIORITIES = ['low', 'normal', 'high'] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];

/** One JSON object per line. Unknown keys, top-level or in metadata, are kept. */
export interface BridgeMessage {
  ts: string;
  from: string;
  type: MessageType;
  id: string;
  content: string;
  status: MessageStatus;
  metadata?: {
    whatsapp_sender?: string;
    priority?: Priority;
    context?: string;
    [key: string]: unknown;
  };
  /** Addressee; absent means whoever the role routes to (seed files never set it). */
  to?: string;
  /** For a response: the id of the request it answers. */
  replyTo?: string;
  [key: string]: unknown;
}

/** A line longer than this is refused on write; 1 MiB keeps a single write() atomic in practice. */
export const MAX_LINE_BYTES = 1024 * 1024;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time');

export const bridgeMessageSchema = z.looseObject({
  ts: isoTime,
  from: z.string().min(1),
  type: z.enum(MESSAGE_TYPES),
  id: z.string().min(1),
  content: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  metadata: z
    .looseObject({
      whatsapp_sender: z.string().optional(),
      priority: z.enum(PRIORITIES).optional(),
      context: z.string().optional(),
    })
    .optional(),
  to: z.string().min(1).optional(),
  replyTo: z.string().min(1).optional(),
});

/** What a caller gives `append`; the bridge fills in id, ts and status. */
export interface NewMessage {
  from: string;
  type: MessageType;
  content: string;
  to?: string;
  replyTo?: string;
  metadata?: BridgeMessage['metadata'];
  /** Defaults to a fresh `<from>-<ms>-<suffix>`; give one to make an append idempotent by id. */
  id?: string;
  /** Defaults to `pending`. */
  status?: MessageStatus;
  /** Defaults to now. Importers keep the original time. */
  ts?: string;
}

const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Whether `name` can be a message's `to` (seed files may have any text in `from`). */
export const isAgentName = (name: string): boolean => AGENT_NAME.test(name);

const agentName = z.string().regex(AGENT_NAME, 'an agent name: letters, digits, "_", "-" or ".", at most 64');

const newMessageSchema = z.strictObject({
  from: agentName,
  type: z.enum(MESSAGE_TYPES),
  content: z.string(),
  to: agentName.optional(),
  replyTo: z.string().min(1).optional(),
  metadata: bridgeMessageSchema.shape.metadata,
  id: z.string().regex(/^[^\s]{1,200}$/, 'an id without spaces, at most 200 characters').optional(),
  status: z.enum(MESSAGE_STATUSES).optional(),
  ts: isoTime.optional(),
});

/** A fresh id in the seed's shape, `<from>-<epoch ms>-<6 random base36 chars>`. */
export function newMessageId(from: string, now = Date.now()): string {
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
  return `${from}-${now}-${suffix}`;
}

/** Validates a caller's message and completes it into a full BridgeMessage. */
export function buildMessage(input: NewMessage, now = new Date()): BridgeMessage {
  const parsed = newMessageSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'message';
    throw new AgentnetError('BRIDGE_MESSAGE_INVALID', `invalid bridge message: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const m = parsed.data;
  // Field order follows the seed's interface so our lines read like the seed's.
  const msg: BridgeMessage = {
    ts: m.ts ?? now.toISOString(),
    from: m.from,
    type: m.type,
    id: m.id ?? newMessageId(m.from, now.getTime()),
    content: m.content,
    status: m.status ?? 'pending',
  };
  if (m.metadata !== undefined) msg.metadata = m.metadata;
  if (m.to !== undefined) msg.to = m.to;
  if (m.replyTo !== undefined) msg.replyTo = m.replyTo;
  return msg;
}

/** The same message with a new status and a new time: what a status change appends. */
export function withStatus(msg: BridgeMessage, status: MessageStatus, now = new Date()): BridgeMessage {
  return { ...msg, ts: now.toISOString(), status };
}

/** Metadata nested deeper than this cannot be written again (JSON.stringify would overflow the stack long before 100,000). */
export const MAX_METADATA_DEPTH = 64;

/** Why a message nested too deep is quarantined. */
const TOO_DEEP = `its metadata is nested more than ${MAX_METADATA_DEPTH} levels deep`;

/** How deeply a JSON value nests, counted without recursion (a hostile line may nest 100,000 deep); stops at `limit + 1`. */
export function jsonDepth(value: unknown, limit = MAX_METADATA_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Why a message read from the bridge cannot be handled like any other, or undefined if it can.
 * A lockless writer can append anything that parses; what cannot be written again (a line over
 * the size limit, metadata nested too deep) would make every status change throw, so it is
 * quarantined instead of handled.
 */
export function poisonReason(msg: BridgeMessage): string | undefined {
  if (msg.status === 'pending' && typeof msg.metadata?.quarantined === 'string') return msg.metadata.quarantined;
  if (msg.metadata !== undefined && jsonDepth(msg.metadata) > MAX_METADATA_DEPTH) return TOO_DEEP;
  const bytes = Buffer.byteLength(msg.content) + Buffer.byteLength(msg.from) + Buffer.byteLength(msg.id);
  if (bytes > MAX_LINE_BYTES - 4096) return `it is ${bytes} bytes; the limit is ${MAX_LINE_BYTES}`;
  try {
    toLine(msg);
  } catch (err) {
    return err instanceof AgentnetError ? err.message : `it cannot be written again (${(err as Error).message})`;
  }
  return undefined;
}

const CUT_AT = 2000;

/** The string fields short enough to keep on a cut record. */
const shortFields = (fields: Record<string, unknown> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(fields ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length <= 200));

/**
 * The record of `msg` with a new status: the complete message again. A message too large or too
 * deep to write again keeps its envelope (ts, from, type, id, to, replyTo, the chat it came from)
 * with the content cut and a note in metadata, so a status change never fails on what a
 * lockless writer appended; the full original stays in its first line.
 */
export function statusRecord(msg: BridgeMessage, status: MessageStatus, now = new Date()): BridgeMessage {
  const record = withStatus(msg, status, now);
  const poison = poisonReason(record);
  if (poison === undefined) return record;
  const cut: BridgeMessage = {
    ts: record.ts,
    from: record.from.slice(0, 200),
    type: record.type,
    id: record.id,
    content: `${record.content.slice(0, CUT_AT)}… [cut by agentnet: ${poison}; the whole message is its first line in the bridge]`,
    status,
    metadata: { ...shortFields(chatFields(msg)), ...(isTraceId(msg.metadata?.trace) ? { trace: msg.metadata.trace } : {}), quarantined: poison },
  };
  if (typeof record.to === 'string' && isAgentName(record.to)) cut.to = record.to;
  if (typeof record.replyTo === 'string' && record.replyTo.length <= 200) cut.replyTo = record.replyTo;
  return cut;
}

/** Serialises one message as one line, refusing what would not fit a single atomic write. */
export function toLine(msg: BridgeMessage): string {
  const line = JSON.stringify(msg) + '\n';
  const bytes = Buffer.byteLength(line);
  if (bytes > MAX_LINE_BYTES) {
    throw new AgentnetError(
      'BRIDGE_MESSAGE_TOO_LARGE',
      `bridge message ${msg.id} is ${bytes} bytes; the limit is ${MAX_LINE_BYTES}. Put large content in a file and send its path.`,
    );
  }
  return line;
}

export type ParsedLine = { ok: true; message: BridgeMessage } | { ok: false; error: string };

/** The metadata fields that name the chat a message came from (read by `chatOf`), copied onto a reply or a cut record. */
function chatFields(msg: BridgeMessage): NonNullable<BridgeMessage['metadata']> | undefined {
  const md = msg.metadata;
  if (!md) return undefined;
  const out: NonNullable<BridgeMessage['metadata']> = {};
  if (md.whatsapp_sender) out.whatsapp_sender = md.whatsapp_sender;
  if (typeof md.chat === 'string') out.chat = md.chat;
  if (typeof md.channel === 'string') out.channel = md.channel;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Where a reply to `msg` goes: its sender when that is an agent name; otherwise no `to`, so the
 * reply routes like a seed response (to the relay). Keeps the chat it came from and its trace
 * (the one derived from its id when it carried none).
 */
export function replyFields(msg: BridgeMessage): Pick<NewMessage, 'to' | 'replyTo' | 'metadata'> {
  return {
    ...(isAgentName(msg.from) ? { to: msg.from } : {}),
    replyTo: msg.id,
    metadata: { ...chatFields(msg), trace: traceOf(msg) },
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * JSON.parse of one bridge line, except what nests deeper than metadata may: that is cut before
 * it is built (deep-json.ts), and the message says so in `metadata.quarantined`, which makes it
 * a poison message (poisonReason). Throws what JSON.parse throws.
 */
export function parseLineJson(text: string): unknown {
  const cut = cutDeeperThan(text, MAX_METADATA_DEPTH + 1);
  const value: unknown = JSON.parse(cut ?? text);
  if (cut === undefined || !isPlainObject(value)) return value;
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  return { ...value, metadata: { ...metadata, quarantined: TOO_DEEP } };
}

/** Parses one line of a bridge file; never throws. */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = parseLineJson(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const parsed = bridgeMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `not a BridgeMessage: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  return { ok: true, message: parsed.data as BridgeMessage };
}
