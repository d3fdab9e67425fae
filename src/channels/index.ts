export { GREEN_API_MAX_MESSAGE, GreenApiClient, GreenApiError, whatsappChatId } from './green-api.ts';
export type { GreenApiOptions } from './green-api.ts';
