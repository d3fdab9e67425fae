/** The dashboard shows the current state on every page load, not the snapshot of its last viewer. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { agentnet, BIN, freePort, lines, spawnNode, stopProcess, tempDir, waitFor, writeNetwork } from '../helpers/util.ts';

it('a page loaded after the last viewer left shows messages sent since (no live client connected)', async () => {
  const { dir, cleanup } = tempDir('agentnet-dash-fresh-');
  const { file } = await writeNetwork(dir);
  const port = await freePort();
  const dashboard = spawnNode([BIN, 'dashboard', '-c', file, '--port', String(port)], { cwd: dir });
  try {
    const out = lines(dashboard);
    await waitFor(() => out.some((l) => l.includes(`:${port}/`)), 'the dashboard to listen', 30_000);
    assert.equal((await agentnet(['bridge', 'send', '--to', 'claude', 'first visit'], { cwd: dir })).code, 0);
    const first = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.match(first, /first visit/);
    // Nobody watches now (no /events client): the next visitor must still see the new message.
    assert.equal((await agentnet(['bridge', 'send', '--to', 'claude', 'sent while nobody watched'], { cwd: dir })).code, 0);
    const second = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.match(second, /sent while nobody watched/);
  } finally {
    await stopProcess(dashboard);
    cleanup();
  }
});
