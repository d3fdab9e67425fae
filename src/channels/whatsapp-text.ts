/** The text a person wrote, from a Green API `messageData` (../shared/specs/channels.md). */

export type Extracted = { text: string } | { skip: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** `{{SWE001}}`..: WhatsApp could not decrypt the message; the text is a placeholder, not the sender's. */
const PLACEHOLDER = /^\s*\{\{SWE\d{3}\}\}\s*$/;

export function extractText(messageData: unknown): Extracted {
  const md = obj(messageData);
  const type = str(md.typeMessage) ?? '(none)';
  let text: string | undefined;
  switch (type) {
    case 'textMessage':
      text = str(obj(md.textMessageData).textMessage);
      break;
    case 'extendedTextMessage':
    case 'quotedMessage':
      text = str(obj(md.extendedTextMessageData).text);
      break;
    case 'imageMessage':
    case 'videoMessage':
    case 'documentMessage':
      text = str(obj(md.fileMessageData).caption);
      if (!text?.trim()) return { skip: `${type} without a caption` };
      break;
    case 'editedMessage':
      text = str(obj(md.editedMessageData).textMessage);
      break;
    default:
      return { skip: `${type} carries no text` };
  }
  if (text === undefined) return { skip: `${type} without its text field` };
  if (PLACEHOLDER.test(text)) return { skip: `undecryptable message (${text.trim()})` };
  if (!text.trim()) return { skip: 'empty text' };
  return { text };
}
