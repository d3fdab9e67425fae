/** The relay's owner allow-list: who may command it, and where the owners are reached. */
import { TERMINAL_CHAT, whatsappChatId } from '../channels/index.ts';
import type { ChannelConfig } from '../config/schema.ts';

/** The chats the owners are reached at, for notifications nobody asked for (alerts, reports). */
export function ownerChats(ch: ChannelConfig): string[] {
  if (ch.type === 'terminal') return [TERMINAL_CHAT];
  if (ch.type === 'whatsapp') return ch.owners.map(whatsappChatId);
  return ch.owners; // a Telegram user's private chat has the user's id
}

/** Whether `sender` (as the channel reports it) is on the owner allow-list. */
export function isOwner(ch: ChannelConfig, sender: string): boolean {
  if (ch.type === 'terminal') return sender === TERMINAL_CHAT;
  if (ch.type === 'whatsapp') return ch.owners.some((o) => o.replace(/^\+/, '').replace(/@c\.us$/, '') === sender.replace(/@.*$/, ''));
  return ch.owners.includes(sender);
}
