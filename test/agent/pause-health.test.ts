import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { PauseWatch, readPause } from '../../src/agent/pause.ts';
import { hostHeaderAllowed, startHealthServer } from '../../src/agent/health.ts';
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
  // A request made after it has its answer: by then the server has accepted that connection and read its bytes.
  await (await fetch(`${server.url}/health`)).text();
  let closed = false;
  const closing = server.close().then(() => (closed = true));
  await Promise.race([closing, new Promise((r) => setTimeout(r, 3000))]);
  socket.destroy();
  assert.ok(closed, 'close() finished while the client was still sending');
});

it('a Host header is allowed only as a literal loopback name or address (or a configured name) with the port', () => {
  for (const host of ['localhost:7700', 'LOCALHOST:7700', '127.0.0.1:7700', '127.255.0.9:7700', '[::1]:7700']) assert.ok(hostHeaderAllowed(host, 7700), host);
  for (const host of [undefined, '', '127.attacker.example:7700', '127.0.0.1.nip.io:7700', '127.0.0.1:7701', '127.0.0.1', '127.0.0.300:7700', '127.1:7700', '::1:7700', '[::2]:7700', 'localhost:7700:1', 'dash.example.org:7700']) {
    assert.ok(!hostHeaderAllowed(host, 7700), String(host));
  }
  assert.ok(hostHeaderAllowed('localhost', 80), 'no port is port 80');
  assert.ok(hostHeaderAllowed('Dash.Example.org:7700', 7700, ['dash.example.org']), 'a configured name, any case');
  assert.ok(!hostHeaderAllowed('dash.example.org.evil.example:7700', 7700, ['dash.example.org']));
});
