/**
 * Finds the functions of a TypeScript file and how many lines each one's own body spans.
 *
 * TypeScript 7 has no JavaScript API and there is no JS parser among the dependencies, so this
 * strips the types with Node's `module.stripTypeScriptTypes` (which blanks them out and keeps
 * every line where it was) and scans the JavaScript that is left: a tokenizer that knows
 * strings, template literals with `${}` nested to any depth, comments and regular-expression
 * literals, then bracket matching, then the places where a function body opens — after `=>`,
 * and after the `)` of `function f(…)`, `function (…)` or a method `name(…)`.
 */
import { stripTypeScriptTypes } from 'node:module';

type TokenKind = 'name' | 'punct' | 'string' | 'number' | 'regex' | 'templateHead' | 'templateMiddle' | 'templateTail';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based line of the token's first character. */
  line: number;
  /** 1-based line of its last character (a string or template can span lines). */
  endLine: number;
}

export interface FunctionSpan {
  /** The declared or assigned name, `<anonymous>` when it has none. */
  name: string;
  /** 1-based lines of the body: from `{` to `}`, or an arrow's expression. */
  startLine: number;
  endLine: number;
  /** Lines of the body that are not inside the body of a function nested in it. */
  ownLines: number;
}

/** Words after which `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);
/** Words that take `( … ) {` without being a method of that name. */
const NOT_A_METHOD = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'typeof', 'void', 'delete', 'await', 'yield', 'in', 'of', 'instanceof', 'new', 'do', 'else', 'case', 'throw', 'super', 'import']);

const isIdStart = (c: string): boolean => /[\p{ID_Start}$_#]/u.test(c);
const isIdPart = (c: string): boolean => /[\p{ID_Continue}$\u200c\u200d]/u.test(c);

/** The tokens of a JavaScript source (comments and white space dropped). Throws on an unterminated literal. */
export function tokenize(js: string): Token[] {
  const tokens: Token[] = [];
  /** What each open `{` is: a block/object brace, or a template's `${`. */
  const braces: ('brace' | 'template')[] = [];
  let i = 0;
  let line = 1;
  const push = (kind: TokenKind, start: number, startLine: number): void => {
    tokens.push({ kind, text: js.slice(start, i), line: startLine, endLine: line });
  };
  const regexAllowed = (): boolean => {
    const last = tokens.at(-1);
    if (!last) return true;
    if (last.kind === 'name') return REGEX_AFTER_WORD.has(last.text);
    if (last.kind === 'punct') return ![')', ']', '}', '++', '--'].includes(last.text);
    return last.kind === 'templateHead' || last.kind === 'templateMiddle';
  };
  /** Reads template characters from i up to the closing backtick or a `${`; returns which. */
  const templateRest = (): 'end' | 'substitution' => {
    while (i < js.length) {
      const c = js[i]!;
      if (c === '\\') {
        if (js[i + 1] === '\n') line++;
        i += 2;
      } else if (c === '`') {
        i++;
        return 'end';
      } else if (c === '$' && js[i + 1] === '{') {
        i += 2;
        return 'substitution';
      } else {
        if (c === '\n') line++;
        i++;
      }
    }
    throw new Error(`unterminated template literal at line ${line}`);
  };
  if (js.startsWith('#!')) while (i < js.length && js[i] !== '\n') i++;
  while (i < js.length) {
    const c = js[i]!;
    const start = i;
    const startLine = line;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && js[i + 1] === '/') {
      while (i < js.length && js[i] !== '\n') i++;
    } else if (c === '/' && js[i + 1] === '*') {
      const end = js.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated comment at line ${line}`);
      for (let k = i; k < end; k++) if (js[k] === '\n') line++;
      i = end + 2;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < js.length && js[i] !== c) {
        if (js[i] === '\n') throw new Error(`unterminated string at line ${line}`);
        if (js[i] === '\\') {
          if (js[i + 1] === '\n') line++;
          i++;
        }
        i++;
      }
      if (i >= js.length) throw new Error(`unterminated string at line ${startLine}`);
      i++;
      push('string', start, startLine);
    } else if (c === '`') {
      i++;
      if (templateRest() === 'end') push('string', start, startLine);
      else {
        braces.push('template');
        push('templateHead', start, startLine);
      }
    } else if (c === '}' && braces.at(-1) === 'template') {
      braces.pop();
      i++;
      if (templateRest() === 'end') push('templateTail', start, startLine);
      else {
        braces.push('template');
        push('templateMiddle', start, startLine);
      }
    } else if (c === '/' && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < js.length) {
        const r = js[i]!;
        if (r === '\n') throw new Error(`unterminated regular expression at line ${line}`);
        if (r === '\\') i++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      if (i >= js.length) throw new Error(`unterminated regular expression at line ${startLine}`);
      i++;
      while (i < js.length && isIdPart(js[i]!)) i++;
      push('regex', start, startLine);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(js[i + 1] ?? ''))) {
      i++;
      while (i < js.length && (/[0-9A-Za-z_.]/.test(js[i]!) || (/[eE]/.test(js[i - 1]!) && /[+-]/.test(js[i]!)))) i++;
      push('number', start, startLine);
    } else if (isIdStart(c) || c === '\\') {
      i++;
      while (i < js.length && isIdPart(js[i]!)) i++;
      push('name', start, startLine);
    } else {
      const two = js.slice(i, i + 2);
      if (two === '=>' || two === '++' || two === '--' || two === '?.') i += 2;
      else i++;
      if (c === '{') braces.push('brace');
      else if (c === '}') braces.pop();
      push('punct', start, startLine);
    }
  }
  if (braces.length > 0) throw new Error(`${braces.length} unclosed brace(s) at the end`);
  return tokens;
}

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
const opens = (t: Token): boolean => (t.kind === 'punct' && OPENERS.has(t.text)) || t.kind === 'templateHead' || t.kind === 'templateMiddle';
const closes = (t: Token): boolean => (t.kind === 'punct' && CLOSERS.has(t.text)) || t.kind === 'templateMiddle' || t.kind === 'templateTail';

/** For each bracket token, the index of its partner (a template middle is matched to the head or middle before it). */
function matchBrackets(tokens: Token[]): Map<number, number> {
  const match = new Map<number, number>();
  const stack: number[] = [];
  tokens.forEach((t, i) => {
    if (closes(t)) {
      const open = stack.pop();
      if (open === undefined) throw new Error(`unmatched "${t.text}" at line ${t.line}`);
      match.set(open, i);
      match.set(i, open);
    }
    if (opens(t)) stack.push(i);
  });
  if (stack.length > 0) throw new Error(`unclosed "${tokens[stack.at(-1)!]!.text}" at line ${tokens[stack.at(-1)!]!.line}`);
  return match;
}

const isPunct = (t: Token | undefined, text: string): boolean => t?.kind === 'punct' && t.text === text;

/** The name a function expression or arrow starting at token `first` is given by `x = …` or `x: …`, if any. */
function assignedName(tokens: Token[], first: number): string {
  let k = first - 1;
  if (tokens[k]?.kind === 'name' && tokens[k]!.text === 'async') k--;
  const before = tokens[k - 1];
  if ((isPunct(tokens[k], '=') || isPunct(tokens[k], ':')) && before && (before.kind === 'name' || before.kind === 'string')) return before.text;
  return '<anonymous>';
}

/** Where a function body opened by the `{` at `open` belongs, and its name; undefined when that `{` is not a function body. */
function functionAtBrace(tokens: Token[], match: Map<number, number>, open: number): string | undefined {
  const prev = tokens[open - 1];
  if (!prev || prev.kind !== 'punct') return undefined;
  if (prev.text === '=>') return arrowName(tokens, match, open - 1);
  if (prev.text !== ')') return undefined;
  const paren = match.get(open - 1)!;
  const key = tokens[paren - 1];
  if (!key) return undefined;
  if (key.kind === 'name') {
    if (key.text === 'function') return assignedName(tokens, paren - 1);
    const before = tokens[paren - 2];
    if (before?.kind === 'name' && before.text === 'function') return key.text;
    if (isPunct(before, '*') && tokens[paren - 3]?.text === 'function') return key.text;
    return NOT_A_METHOD.has(key.text) ? undefined : key.text;
  }
  if (isPunct(key, '*') && tokens[paren - 2]?.text === 'function') return assignedName(tokens, paren - 2);
  if (key.kind === 'string' || key.kind === 'number') return key.text;
  if (isPunct(key, ']')) return `[${tokens.slice(match.get(paren - 1)! + 1, paren - 1).map((t) => t.text).join('')}]`;
  return undefined;
}

/** The name of the arrow whose `=>` is at `arrow`. */
function arrowName(tokens: Token[], match: Map<number, number>, arrow: number): string {
  const params = tokens[arrow - 1];
  const first = isPunct(params, ')') ? match.get(arrow - 1)! : arrow - 1;
  return assignedName(tokens, first);
}

/** The last token of an arrow's expression body that starts at `from`: up to a `,` `;` or closing bracket outside it. */
function expressionEnd(tokens: Token[], from: number): number {
  let depth = 0;
  for (let k = from; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (closes(t) && depth === 0) return k - 1;
    if (depth === 0 && (isPunct(t, ',') || isPunct(t, ';'))) return k - 1;
    if (closes(t)) depth--;
    if (opens(t)) depth++;
  }
  return tokens.length - 1;
}

/** Every function of a JavaScript source, with the lines of its own body. */
export function findFunctionsInJs(js: string): FunctionSpan[] {
  const tokens = tokenize(js);
  const match = matchBrackets(tokens);
  const found: { name: string; startLine: number; endLine: number }[] = [];
  tokens.forEach((t, i) => {
    if (isPunct(t, '{')) {
      const name = functionAtBrace(tokens, match, i);
      if (name !== undefined) found.push({ name, startLine: t.line, endLine: tokens[match.get(i)!]!.endLine });
    } else if (isPunct(t, '=>') && !isPunct(tokens[i + 1], '{') && tokens[i + 1]) {
      const end = expressionEnd(tokens, i + 1);
      found.push({ name: arrowName(tokens, match, i), startLine: tokens[i + 1]!.line, endLine: tokens[end]!.endLine });
    }
  });
  return found.map((f) => {
    const nested = new Set<number>();
    for (const g of found) {
      const inside = g !== f && g.startLine >= f.startLine && g.endLine <= f.endLine && (g.startLine > f.startLine || g.endLine < f.endLine);
      if (inside) for (let l = g.startLine + 1; l < g.endLine; l++) nested.add(l);
    }
    return { ...f, ownLines: f.endLine - f.startLine + 1 - nested.size };
  });
}

/** Every function of a TypeScript source (erasable syntax), with the lines of its own body. */
export function findFunctions(ts: string): FunctionSpan[] {
  return findFunctionsInJs(stripTypeScriptTypes(ts, { mode: 'strip' }));
}
