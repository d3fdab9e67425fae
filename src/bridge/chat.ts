/**
 * Which chat a bridge message belongs to: the one rule every role reads it by. It imports
 * nothing, so the Claude Code session-start hook (which must start fast) can use it too.
 */

/** A chat on a channel: where a relay delivers an answer. */
export interface ChatAddress {
  /** The chat's id as its channel knows it (a WhatsApp chat id, a Telegram chat id, ...). */
  chat: string;
  /** The channel type the chat is on; undefined when the message does not say (any relay's). */
  channel?: string;
}

/**
 * The chat a relay delivers an answer to: agentnet's own `chat` (on `channel`, when given), else
 * the seed's `whatsapp_sender` (a WhatsApp chat). Undefined when neither is a string.
 */
export function chatOf(msg: { metadata?: { [key: string]: unknown } | undefined } | undefined): ChatAddress | undefined {
  const md = msg?.metadata;
  if (!md) return undefined;
  if (typeof md.chat === 'string') return typeof md.channel === 'string' ? { chat: md.chat, channel: md.channel } : { chat: md.chat };
  if (typeof md.whatsapp_sender === 'string') return { chat: md.whatsapp_sender, channel: 'whatsapp' };
  return undefined;
}
