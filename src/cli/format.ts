/** Human-readable rendering of bridge messages for a terminal. */
import type { BridgeMessage } from '../bridge/index.ts';
import { AgentnetError } from '../errors.ts';

/**
 * Makes untrusted text safe to print: control characters (ANSI escapes that could rewrite the
 * terminal, carriage returns that hide text) are shown escaped, never interpreted.
 */
export function safeText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function oneLine(text: string, max: number): string {
  const flat = safeText(text.replace(/\s*\n\s*/g, ' ⏎ ').replace(/\t/g, ' '));
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatMessage(m: BridgeMessage, width = 200): string {
  const route = `${m.from}→${m.to ?? '*'}`;
  const prio = m.metadata?.priority && m.metadata.priority !== 'normal' ? ` !${m.metadata.priority}` : '';
  const reply = m.replyTo ? ` ↩${m.replyTo}` : '';
  const head = `${m.ts}  ${m.status.padEnd(7)} ${m.type.padEnd(12)} ${route.padEnd(16)} ${m.id}${reply}${prio}`;
  return `${safeText(head)}\n    ${oneLine(m.content, width)}`;
}

/** `30s`, `15m`, `2h`, `7d` ago, or an ISO-8601 time. */
export function parseSince(text: string, now = Date.now()): Date {
  const rel = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(text.trim());
  if (rel) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(rel[1]) * unit);
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new AgentnetError('USAGE', `--since "${text}": expected a duration like 30m, 2h, 7d or an ISO time`);
  return new Date(t);
}
