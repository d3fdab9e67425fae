/**
 * Chat channels behind one Channel contract: whatsapp (Green API), telegram, terminal;
 * createChannel maps an agent's `channel:` to its adapter. Imports only the base (errors.ts,
 * log/, config/); never relay/ (who the owners are and what they may say is the relay's).
 */
export type { Button, CanaryReport, Channel, ChannelErrorOptions, ChannelHealth, ChannelReport, DeliveryStatus, InboundMessage, InboundTap, ReceiveReport, SendOptions } from './channel.ts';
export { ChannelCondition, expectedReceiveMs, RECEIVE_MARGIN_MS, spellDuration } from './channel-health.ts';
export { BUTTON_DATA_MAX_BYTES, ChannelError } from './channel.ts';
export { GREEN_API_MAX_MESSAGE, GreenApiClient, GreenApiError, whatsappChatId, type GreenApiNotification, type GreenApiOptions } from './green-api.ts';
export { createWhatsAppChannel, type WhatsAppChannelOptions } from './whatsapp.ts';
export { createTelegramChannel, loadGrammy, telegramError, TELEGRAM_MAX_MESSAGE, type TelegramChannelOptions } from './telegram.ts';
export { createTerminalChannel, TERMINAL_CHAT, type TerminalChannelOptions } from './terminal.ts';
export { extractText } from './whatsapp-text.ts';
export { splitMessage } from './split.ts';
export { sameToken } from './http-endpoint.ts';
export { channelOf, checkChannel, createChannel, terminalSocketPath } from './registry.ts';
