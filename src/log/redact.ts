/** Removes secrets from anything about to be logged: known secret values and token-shaped text. */

const PATTERNS: Array<[RegExp, string]> = [
  // Green API puts the instance token in the URL path: /waInstance<id>/<method>/<token>
  [/(\/waInstance\d+\/[A-Za-z]+\/)[^/?\s"']+/g, '$1***'],
  // Telegram bot tokens, in URLs (/bot<token>/) and alone
  [/(\/bot|\b)\d{6,12}:[A-Za-z0-9_-]{30,}/g, '$1***'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***'],
  // Anthropic / OpenAI style API keys
  [/\bsk-[A-Za-z0-9_-]{16,}\b/g, 'sk-***'],
];

export type Redactor = (text: string) => string;

/** A redactor for these secret values (shorter than 6 characters are ignored: too likely to hit normal text). */
export function createRedactor(secrets: Iterable<string> = []): Redactor {
  const values = [...new Set([...secrets].filter((s) => s.length >= 6))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join('***');
    for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
    return out;
  };
}

/** Applies a redactor to every string in a value, keys included. */
export function redactDeep(value: unknown, redact: Redactor, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[nested too deep to log]'; // never log what was not checked
  if (value instanceof Error) return { type: value.name, message: redact(value.message), ...('code' in value ? { code: value.code } : {}) };
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact, depth + 1)]));
}
