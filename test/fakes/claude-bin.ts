/** Puts the fake `claude` (fake-claude.ts) on disk as an executable, the way the real CLI is installed. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/util.ts';

export function fakeClaude(dir: string): { command: string; log: string; state: string } {
  const command = join(dir, 'claude');
  writeFileSync(command, `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'test/fakes/fake-claude.ts')}' "$@"\n`);
  chmodSync(command, 0o755);
  return { command, log: join(dir, 'claude-calls.jsonl'), state: dir };
}
