/**
 * What the providers send us, validated at the edge against the shapes documented in
 * ../shared/specs/channels.md. A payload that does not fit is a provider's (or an attacker's)
 * mistake, not ours: the channel logs what is wrong and where, acknowledges it (so it is not
 * delivered again for hours) and goes on with the next one. Unknown fields are kept, unknown
 * notification types pass (they are ignored later), only the fields we read are checked.
 */
import { z } from 'zod';
import { BUTTON_DATA_MAX_BYTES } from './channel.ts';

// ---- Telegram Bot API ----

const telegramUser = z.looseObject({ id: z.number(), is_bot: z.boolean().optional(), first_name: z.string(), last_name: z.string().optional() });
const telegramMessage = z.looseObject({
  message_id: z.number(),
  date: z.number(),
  chat: z.looseObject({ id: z.number(), type: z.string() }),
  from: telegramUser.optional(),
  text: z.string().optional(),
});

/**
 * A tap on an inline button. `message` is the bot's message that carried the button (or, once
 * inaccessible, its chat, id and date 0); `data` is the button's, at most 64 bytes at Telegram:
 * more is not Telegram's and is refused here.
 */
const telegramCallbackQuery = z.looseObject({
  id: z.string().min(1).max(256),
  from: telegramUser,
  message: z.looseObject({ message_id: z.number(), chat: z.looseObject({ id: z.number(), type: z.string() }) }).optional(),
  chat_instance: z.string(),
  data: z
    .string()
    .min(1)
    .refine((d) => Buffer.byteLength(d) <= BUTTON_DATA_MAX_BYTES, `at most ${BUTTON_DATA_MAX_BYTES} bytes`)
    .optional(),
});
export type TelegramCallbackQuery = z.infer<typeof telegramCallbackQuery>;

/** An Update: message, edited_message and callback_query are read; other kinds (not asked for) pass unread. */
export const telegramUpdate = z.looseObject({
  update_id: z.number().int(),
  message: telegramMessage.optional(),
  edited_message: telegramMessage.optional(),
  callback_query: telegramCallbackQuery.optional(),
});

/** getMe's answer: the bot's own User (only what the canary reports is read). */
export const telegramBot = z.looseObject({ id: z.number(), is_bot: z.literal(true), username: z.string().min(1) });

/** getWebhookInfo's answer (WebhookInfo): where Telegram posts, what waits, the last delivery error. */
export const telegramWebhookInfo = z.looseObject({
  /** Empty when no webhook is set. */
  url: z.string(),
  pending_update_count: z.number().int().min(0),
  /** Unix seconds. */
  last_error_date: z.number().int().optional(),
  last_error_message: z.string().optional(),
});
export type TelegramWebhookInfo = z.infer<typeof telegramWebhookInfo>;

// ---- Green API ----

const optionalText = z.looseObject({ textMessage: z.string().optional() });
const messageData = z.looseObject({
  typeMessage: z.string(),
  textMessageData: optionalText.optional(),
  extendedTextMessageData: z.looseObject({ text: z.string().optional() }).optional(),
  fileMessageData: z.looseObject({ caption: z.string().optional() }).optional(),
  editedMessageData: optionalText.optional(),
});

const incomingMessage = z.looseObject({
  typeWebhook: z.literal('incomingMessageReceived'),
  /** Unix seconds; a message without one is still the owner's (stamped on arrival). */
  timestamp: z.number().optional(),
  idMessage: z.string().min(1),
  senderData: z.looseObject({
    chatId: z.string().min(1),
    sender: z.string().optional(),
    senderName: z.string().optional(),
  }),
  messageData,
});
const outgoingStatus = z.looseObject({
  typeWebhook: z.literal('outgoingMessageStatus'),
  chatId: z.string(),
  idMessage: z.string(),
  status: z.string(),
});
const stateChanged = z.looseObject({ typeWebhook: z.literal('stateInstanceChanged'), stateInstance: z.string() });
const notificationHead = z.looseObject({ typeWebhook: z.string() });

/** A notification body (a webhook POST, or receiveNotification's `body`), by what the channel does with it. */
export type GreenApiNotice =
  | { kind: 'incoming'; n: z.infer<typeof incomingMessage> }
  | { kind: 'status'; n: z.infer<typeof outgoingStatus> }
  | { kind: 'state'; n: z.infer<typeof stateChanged> }
  /** Any other type: not read, so only its type was checked. */
  | { kind: 'other'; type: string };

export function checkNotification(input: unknown): Checked<GreenApiNotice> {
  const head = checkPayload(notificationHead, input);
  if (!head.ok) return head;
  const as = <K extends 'incoming' | 'status' | 'state', T>(kind: K, r: Checked<T>) => (r.ok ? { ok: true as const, value: { kind, n: r.value } } : r);
  switch (head.value.typeWebhook) {
    case 'incomingMessageReceived':
      return as('incoming', checkPayload(incomingMessage, input));
    case 'outgoingMessageStatus':
      return as('status', checkPayload(outgoingStatus, input));
    case 'stateInstanceChanged':
      return as('state', checkPayload(stateChanged, input));
    default:
      return { ok: true, value: { kind: 'other', type: head.value.typeWebhook } };
  }
}

/** getStateInstance's answer. */
export const greenApiState = z.looseObject({ stateInstance: z.string().min(1) });

/** getWebhooksCount's answer: the notifications waiting in the incoming queue (updated every 10 s). */
export const greenApiWebhooksCount = z.looseObject({ count: z.number().int().min(0) });

/** receiveNotification's answer: `null` when the queue is empty. */
export const greenApiReceipt = z.nullable(z.looseObject({ receiptId: z.number().int(), body: z.unknown() }));

// ---- both ----

const shown = (v: unknown) => {
  const s = v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string };

/** Parses `input`; on failure says what is wrong and where: `message.text: Invalid input: expected string, received object, got {"b":1}`. */
export function checkPayload<T>(schema: z.ZodType<T>, input: unknown): Checked<T> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(the whole payload)'}: ${i.message}, got ${shown(valueAt(input, i.path))}`).join('; '),
  };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}
