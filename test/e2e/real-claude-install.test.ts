/**
 * The real Claude Code CLI's on-demand install for the tests (test/helpers/real-claude.ts):
 * the cached copy is the pinned version, and a cache it cannot install into fails with the
 * reason and the fix (a test that needs the CLI fails; it is never skipped).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureRealClaude, REAL_CLAUDE_VERSION } from '../helpers/real-claude.ts';
import { runNode, tempDir } from '../helpers/util.ts';

describe('the real Claude Code CLI for the tests', () => {
  const t = tempDir();
  after(() => t.cleanup());

  it('is the pinned version, installed once and then reused', async () => {
    const bin = await ensureRealClaude();
    assert.equal(await ensureRealClaude(), bin);
    assert.match(execFileSync(bin, ['--version'], { encoding: 'utf8' }), new RegExp(`^${REAL_CLAUDE_VERSION.replaceAll('.', '\\.')} `));
  });

  it('fails with the reason and the fix when it cannot be installed', async () => {
    const notADir = join(t.dir, 'a-file');
    writeFileSync(notADir, '');
    const r = await runNode(['--input-type=module', '-e', "await import(process.argv[1]).then((m) => m.ensureRealClaude());", new URL('../helpers/real-claude.ts', import.meta.url).pathname], {
      env: { AGENTNET_CLAUDE_CACHE: join(notADir, 'cache') },
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the real Claude Code CLI \(@anthropic-ai\/claude-code@2\.1\.332\) could not be installed into .*a-file\/cache\/claude-code-2\.1\.332; these tests need it \(set AGENTNET_CLAUDE_CACHE/);
  });
});
