/**
 * Splits a reply longer than a channel's limit into messages that each fit, cutting at the
 * last paragraph break, else line break, else sentence end, else space before the limit, and
 * only as a last resort inside a word (never inside a surrogate pair).
 */
const BREAKS: RegExp[] = [/\n\s*\n/g, /\n/g, /[.!?։。؟](?=\s)/g, /\s/g];

export function splitMessage(text: string, limit: number): string[] {
  if (limit < 1) throw new RangeError('limit must be at least 1');
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    let cut = -1;
    for (const re of BREAKS) {
      let last = -1;
      for (const m of window.matchAll(re)) {
        // A sentence end stays with its sentence; a break is dropped.
        const end = re === BREAKS[2] ? m.index + m[0].length : m.index;
        if (end > 0) last = end;
      }
      // A cut in the first fifth would make a uselessly short message: look for a coarser one.
      if (last > limit / 5) {
        cut = last;
        break;
      }
    }
    if (cut <= 0) {
      cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--; // keep a surrogate pair together
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
