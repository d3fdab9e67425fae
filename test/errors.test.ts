import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { AgentnetError, ERROR_CODES } from '../src/errors.ts';

it('documents every error code in docs/errors.md', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual(ERROR_CODES.filter((c) => !documented.has(c)), [], 'undocumented codes');
  assert.deepEqual([...documented].filter((c) => !(ERROR_CODES as readonly string[]).includes(c!)), [], 'documented codes that do not exist');
});

it('errors carry their code and cause', () => {
  const cause = new Error('ENOSPC');
  const e = new AgentnetError('BRIDGE_DISK_FULL', 'no space', { cause });
  assert.equal(e.code, 'BRIDGE_DISK_FULL');
  assert.equal(e.cause, cause);
  assert.ok(e instanceof Error);
});
