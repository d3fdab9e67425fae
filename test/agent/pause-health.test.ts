import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { PauseWatch, readPause } from '../../src/agent/pause.ts';
import { startHealthServer } from '../../src/agent/health.ts';
import { createStats } from '../../src/agent/stats.ts';
import { freePort, tempDir } from '../helpers/util.ts';

it('anything named PAUSE pauses, even a directory, without crashing the watcher', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const watch = new PauseWatch(dir);
    mkdirSync(join(dir, 'PAUSE'));
    assert.equal(readPause(dir).paused, true);
    const ac = new AbortController();
    const waiting = watch.untilResumed(ac.signal);
    ac.abort(new Error('stopping'));
    await assert.rejects(waiting, /stopping/);
    watch.close();
  } finally {
    cleanup();
  }
});

it('a client that never finishes its request cannot hold the health server open on stop', async () => {
  const port = await freePort();
  const stats = createStats('kami', 'relay');
  const server = await startHealthServer({ host: '127.0.0.1', port, stats, report: () => ({ status: 'ok', uptime: 1, lastActivity: null, messagesProcessed: 0, agent: 'kami', role: 'relay', paused: false, pid: process.pid }) });
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write('GET /health HTTP/1.1\r\nHost: x\r\n'); // headers never end
  await new Promise((r) => setTimeout(r, 50));
  let closed = false;
  const closing = server.close().then(() => (closed = true));
  await Promise.race([closing, new Promise((r) => setTimeout(r, 3000))]);
  socket.destroy();
  assert.ok(closed, 'close() finished while the client was still sending');
});
