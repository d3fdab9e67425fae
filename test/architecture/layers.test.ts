/**
 * The layers point one way (docs/architecture.md): every import in src/, static or dynamic,
 * goes to a folder below its own in RANKS; the role folders never import each other; no file
 * imports itself back through a circle. A failure names the file and the import.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = new URL('../../src/', import.meta.url).pathname;

/** Bottom to top. A folder imports only folders of a lower rank; folders of one rank never import each other. */
const RANKS: Record<string, number> = {
  errors: 0, // src/errors.ts
  log: 1,
  config: 1,
  pg: 2,
  bridge: 3,
  store: 3,
  channels: 3,
  models: 4,
  agent: 5,
  relay: 6,
  tasks: 6,
  orchestrator: 6,
  ops: 7,
  dashboard: 7,
  cli: 8,
  index: 9, // src/index.ts, the library entry
};

/** The roles: they meet on the bridge and the store, never in each other's code. */
const ROLES = new Set(['relay', 'tasks', 'orchestrator']);

/**
 * Imports that still run the wrong way, each with the reason and the work that ends it. The test
 * fails when one is gone too, so the list stays true: delete the entry then.
 */
const KNOWN_GAPS: Array<{ from: string; to: string; reason: string }> = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The folder a src file belongs to: its first path segment, or the file's own name at the top. */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? parts[0]!.replace(/\.ts$/, '') : parts[0]!;
}

/** Every relative import of a file, static (`import`/`export ... from`, `import '...'`) and dynamic (`import('...')`). */
function importsOf(file: string): Array<{ specifier: string; line: number }> {
  // Comment lines are not code: a doc comment may show an import.
  const code = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => (/^\s*(\/\/|\/\*|\*)/.test(l) ? '' : l))
    .join('\n');
  const found: Array<{ specifier: string; line: number }> = [];
  const patterns = [/^\s*(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/gm, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      const specifier = m[1]!;
      if (!specifier.startsWith('.')) continue; // a package, or node:
      found.push({ specifier, line: code.slice(0, m.index).split('\n').length });
    }
  }
  return found;
}

interface Edge {
  from: string;
  to: string;
  line: number;
  specifier: string;
}

const files = sourceFiles(SRC);
const edges: Edge[] = files.flatMap((file) =>
  importsOf(file).map(({ specifier, line }) => ({ from: file, to: resolve(dirname(file), specifier), line, specifier })),
);
const rel = (file: string) => relative(SRC, file);
const where = (e: Edge) => `src/${rel(e.from)}:${e.line} imports '${e.specifier}'`;
const isKnownGap = (e: Edge) => KNOWN_GAPS.some((g) => g.from === rel(e.from) && g.to === rel(e.to));

/** What is wrong with an import between folders, or undefined. */
function layerProblem(e: Edge): string | undefined {
  const a = folderOf(e.from);
  const b = folderOf(e.to);
  if (a === b) return undefined;
  const ra = RANKS[a];
  const rb = RANKS[b];
  if (ra === undefined || rb === undefined) return `${where(e)}: folder ${ra === undefined ? a : b} has no rank; add it to RANKS in test/architecture/layers.test.ts and to docs/architecture.md`;
  if (ROLES.has(a) && ROLES.has(b)) return `${where(e)}: the role ${a}/ imports the role ${b}/; roles meet on the bridge and the store, or share what sits below them (agent/)`;
  if (rb === ra) return `${where(e)}: ${a}/ and ${b}/ are one layer and never import each other`;
  if (rb > ra) return `${where(e)}: ${a}/ (layer ${ra}) imports ${b}/ (layer ${rb}), which is above it`;
  return undefined;
}

/** File-level import circles (known gaps aside): the strongly connected components of more than one file, or a file importing itself. */
function circles(): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (!isKnownGap(e)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next.get(v)?.includes(v)) found.push(scc.map(rel).sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

describe('layers', () => {
  it('reads the imports of every source file', () => {
    assert.ok(files.length > 100, `only ${files.length} files under ${SRC}`);
    const unresolved = edges.filter((e) => !existsSync(e.to)).map(where);
    assert.deepEqual(unresolved, [], 'imports of files that do not exist (the scan misread them, or they are broken)');
  });

  it('every import goes to a folder below its own; roles never import each other', () => {
    const problems = edges.filter((e) => !isKnownGap(e)).map(layerProblem).filter((p) => p !== undefined);
    assert.deepEqual(problems, [], `imports against the layers:\n${problems.join('\n')}`);
  });

  it('no import circles between files', () => {
    const found = circles();
    assert.deepEqual(found, [], `files that import each other round a circle (each line one circle's files):\n${found.map((c) => c.join(', ')).join('\n')}`);
  });

  for (const gap of KNOWN_GAPS) {
    it(`known gap, still there: src/${gap.from} -> src/${gap.to} (${gap.reason})`, () => {
      const still = edges.some((e) => rel(e.from) === gap.from && rel(e.to) === gap.to && layerProblem(e) !== undefined);
      assert.ok(still, `src/${gap.from} no longer imports src/${gap.to} against the layers: delete this entry from KNOWN_GAPS in test/architecture/layers.test.ts`);
    });
  }
});
