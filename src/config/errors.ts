/** Config errors that name the file, the line, the path (`agents.kami.health.port`) and what was expected. */
import { LineCounter, type Document } from 'yaml';
import type { core } from 'zod';
import { AgentnetError, type ErrorCode } from '../errors.ts';

export interface ConfigProblem {
  path: string;
  message: string;
  line?: number;
  col?: number;
}

export class ConfigError extends AgentnetError {
  readonly file: string;
  readonly problems: ConfigProblem[];

  constructor(code: ErrorCode, file: string, problems: ConfigProblem[], hint?: string) {
    const lines = problems.map((p) => `  ${file}${p.line ? `:${p.line}:${p.col ?? 1}` : ''}  ${p.path ? `${p.path}: ` : ''}${p.message}`);
    super(code, `${file} is not a valid agentnet config:\n${lines.join('\n')}${hint ? `\n${hint}` : ''}`);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** One zod issue as a sentence a user can act on. */
export function describeIssue(issue: core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${show(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see the README's configuration section)`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => show(v)).join(', ')}, got ${show(issue.input)}`;
    case 'invalid_union': {
      const first = issue.errors.flat()[0];
      if (!first) return `${issue.message}, got ${show(issue.input)}`;
      return describeIssue(first);
    }
    case 'custom':
      // A check of a whole object (superRefine: duplicate ports, cron) says in full what is wrong
      // and what to write; its input is that object, which would only bury the message.
      if (issue.input !== null && typeof issue.input === 'object') return issue.message;
      return `expected ${issue.message}${issue.input !== undefined ? `, got ${show(issue.input)}` : ''}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message}${issue.input !== undefined ? `, got ${show(issue.input)}` : ''}`;
    default:
      return `expected ${issue.message}${issue.input !== undefined ? `, got ${show(issue.input)}` : ''}`;
  }
}

/** The YAML line and column of the deepest node on `path` that exists. */
export function locate(doc: Document, counter: LineCounter, path: PropertyKey[]): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return counter.linePos(node.range[0]);
  }
  return undefined;
}

export function problemsFromIssues(issues: core.$ZodIssue[], doc: Document, counter: LineCounter): ConfigProblem[] {
  return issues.map((issue) => {
    let path = issue.path;
    // Point an unknown key at the key itself.
    if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) path = [...path, issue.keys[0]!];
    const where = locate(doc, counter, path);
    return { path: issue.path.map(String).join('.'), message: describeIssue(issue), ...where };
  });
}
