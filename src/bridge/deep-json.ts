/**
 * JSON lines nested too deep, read without building what is too deep. A lockless writer may
 * append a line nested 100,000 levels deep: JSON.parse builds every level (20–30 ms, in every
 * agent that reads the bridge, each time it reads the line) only for the message to be
 * quarantined. The text is scanned first (strings are skipped with indexOf, so a long line of
 * text costs little) and each container deeper than the limit is replaced by `null`, which
 * keeps the envelope (id, sender, chat) a quarantine notice needs.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** The index of the quote that ends the string opened at `open` (the text's length if none does). */
function closingQuote(text: string, open: number): number {
  for (let i = text.indexOf('"', open + 1); i !== -1; i = text.indexOf('"', i + 1)) {
    let j = i - 1;
    while (text.charCodeAt(j) === BACKSLASH) j--;
    if ((i - 1 - j) % 2 === 0) return i;
  }
  return text.length;
}

/** The index of the bracket that closes the container opened at `open` (the last index if none does). */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = closingQuote(text, i);
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i;
  }
  return text.length - 1;
}

/**
 * `text` with every object or array nested deeper than `limit` (the outermost is level 1)
 * replaced by `null`, or undefined when nothing is that deep (the common case allocates
 * nothing). Text that is not JSON stays not JSON.
 */
export function cutDeeperThan(text: string, limit: number): string | undefined {
  let depth = 0;
  let parts: string[] | undefined;
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = closingQuote(text, i);
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if ((c === OPEN_OBJECT || c === OPEN_ARRAY) && ++depth > limit) {
      const end = closingBracket(text, i);
      (parts ??= []).push(text.slice(copiedTo, i), 'null');
      copiedTo = end + 1;
      i = end;
      depth--;
    }
  }
  return parts ? parts.join('') + text.slice(copiedTo) : undefined;
}
