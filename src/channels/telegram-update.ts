/**
 * A Telegram Update as the relay sees it: a text message, or a tap on one of the bot's inline
 * buttons (a callback query, its `data` as the text), validated against the Bot API's shapes
 * first. What is not for the relay is skipped, and a tap among it is still answered (empty), so
 * the phone's spinner stops.
 */
import type { Logger } from '../log/logger.ts';
import type { InboundMessage } from './channel.ts';
import { checkPayload, telegramUpdate, type TelegramCallbackQuery } from './payloads.ts';

/** The kinds of update the bot asks Telegram for (getUpdates and setWebhook alike). */
export const TELEGRAM_UPDATES = ['message', 'edited_message', 'callback_query'] as const;

export interface ReadUpdate {
  /** What the relay gets, when the update is for it. */
  message?: InboundMessage;
  /** A tap that is not passed on but must be answered all the same: its callback query id. */
  answerEmpty?: string;
}

/** The update_id of an update, even of one that is otherwise malformed. */
export const updateIdOf = (u: unknown): number | undefined => {
  const id = u && typeof u === 'object' ? (u as { update_id?: unknown }).update_id : undefined;
  return Number.isSafeInteger(id) ? (id as number) : undefined;
};

/** The callback query id of a malformed update, when it has one that looks like an id. */
const tapIdOf = (u: unknown): string | undefined => {
  const q = u && typeof u === 'object' ? (u as { callback_query?: unknown }).callback_query : undefined;
  const id = q && typeof q === 'object' ? (q as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
};

/** An update as what the relay gets; nothing for one without text or data, or one not shaped as documented (logged). */
export function readUpdate(raw: unknown, logger: Logger): ReadUpdate {
  const checked = checkPayload(telegramUpdate, raw);
  if (!checked.ok) {
    logger.warn({ update: updateIdOf(raw), problems: checked.problems }, 'Telegram update does not have the documented shape; acknowledged and skipped');
    const answerEmpty = tapIdOf(raw);
    return answerEmpty ? { answerEmpty } : {};
  }
  const u = checked.value;
  if (u.callback_query) return readTap(u.update_id, u.callback_query, logger);
  const m = u.message ?? u.edited_message;
  if (!m?.text || !m.from) {
    logger.debug({ update: u.update_id }, 'Telegram update without text; skipped');
    return {};
  }
  return {
    message: {
      key: `tg_${u.update_id}`,
      chatId: String(m.chat.id),
      sender: String(m.from.id),
      senderName: [m.from.first_name, m.from.last_name].filter(Boolean).join(' '),
      text: m.text,
      at: m.date * 1000,
    },
  };
}

/** A tap: from the user who tapped, in the chat of the message that carried the button (the user's own chat when Telegram does not say). */
function readTap(updateId: number, q: TelegramCallbackQuery, logger: Logger): ReadUpdate {
  if (q.data === undefined) {
    logger.debug({ update: updateId }, 'Telegram callback query without data (not a button of ours); answered and skipped');
    return { answerEmpty: q.id };
  }
  return {
    message: {
      key: `tg_${updateId}`,
      chatId: String(q.message?.chat.id ?? q.from.id),
      sender: String(q.from.id),
      senderName: [q.from.first_name, q.from.last_name].filter(Boolean).join(' '),
      text: q.data,
      at: Date.now(), // a callback query carries no time of its own
      tap: { id: q.id, ...(q.message ? { messageId: String(q.message.message_id) } : {}) },
    },
  };
}
