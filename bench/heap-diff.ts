/**
 * Compares two V8 heap snapshots by constructor: how many objects of each kind, and their
 * shallow size, before and after; prints the kinds that grew most. A snapshot is taken after a
 * full GC, so what grows between two is what is retained.
 *
 *   node bench/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Kind {
  count: number;
  size: number;
}

/** Count and shallow size by `type:name` (objects by constructor; strings, arrays, code by type). */
export function byKind(file: string): Map<string, Kind> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, Kind>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    // Strings and numbers are named by their value: group them by type alone.
    const name = type === 'object' || type === 'closure' || type === 'native' ? s.strings[s.nodes[i + iName]!]! : '';
    const key = `${type}${name ? `:${name.slice(0, 80)}` : ''}`;
    const k = out.get(key) ?? { count: 0, size: 0 };
    k.count++;
    k.size += s.nodes[i + iSize]!;
    out.set(key, k);
  }
  return out;
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
  const [a, b] = positionals;
  if (!a || !b) throw new Error('usage: node bench/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--top 30]');
  const before = byKind(a);
  const after = byKind(b);
  const total = (m: Map<string, Kind>) => [...m.values()].reduce((t, k) => ({ count: t.count + k.count, size: t.size + k.size }), { count: 0, size: 0 });
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
    const x = before.get(key) ?? { count: 0, size: 0 };
    const y = after.get(key) ?? { count: 0, size: 0 };
    return { key, count: y.count - x.count, size: y.size - x.size, after: y };
  });
  rows.sort((p, q) => q.size - p.size);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const [tb, ta] = [total(before), total(after)];
  console.log(`total: ${tb.count} objects ${kb(tb.size)} → ${ta.count} objects ${kb(ta.size)} (${ta.count - tb.count >= 0 ? '+' : ''}${ta.count - tb.count}, ${kb(ta.size - tb.size)})\n`);
  console.log('| kind | Δ count | Δ shallow size | count after |\n| --- | ---: | ---: | ---: |');
  for (const r of rows.slice(0, Number(values.top))) console.log(`| ${r.key} | ${r.count} | ${kb(r.size)} | ${r.after.count} |`);
}
