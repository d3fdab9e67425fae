/** `agentnet trace`: a clear error for what is not an id or names nothing; a request nobody took shows where it waits. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Timeline } from '../../src/agent/timeline.ts';
import { agentnet, tempDir, writeNetwork } from '../helpers/util.ts';

describe('agentnet trace', () => {
  const t = tempDir('agentnet-cli-trace-');
  before(() => writeNetwork(t.dir));
  after(() => t.cleanup());
  const run = (args: string[]) => agentnet(['trace', ...args], { cwd: t.dir });

  it('refuses what cannot be an id (exit 2), saying what an id is', async () => {
    for (const [args, why] of [
      [[], /give the id of a message, a ledger key, a task id or a trace id/],
      [['a b'], /is not an id: ids have no spaces or control characters/],
      [['kami-1\u001b[2J'], /is not an id/],
      [['x'.repeat(501)], /at most 500 characters/],
      [['kami-1', 'kami-2'], /give one id/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /\u001b/, 'a control character is shown escaped, never sent to the terminal');
    }
  });

  it('an id that names nothing (exit 1) says what to give instead', async () => {
    for (const id of ['kami-0-none', '4bf92f3577b34da6a3ce929d0e0e4736']) {
      const r = await run([id]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`nothing has the id "${id}": no trace, message, ledger key or task by that id is recorded. Give the id of a message \\(agentnet bridge ls\\)`));
    }
  });

  it('a request sent from the command line that no agent took: its own trace, waiting for its addressee', async () => {
    const sent = await agentnet(['bridge', 'send', '--to', 'claude', '--json', 'deploy staging'], { cwd: t.dir });
    assert.equal(sent.code, 0, sent.stderr);
    const msg = JSON.parse(sent.stdout) as { id: string; metadata: { trace: string } };
    const r = await run([msg.id, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const timeline = JSON.parse(r.stdout) as Timeline;
    assert.equal(timeline.trace, msg.metadata.trace);
    assert.deepEqual(timeline.hops.map((h) => [h.hop, h.agent, h.ref]), [['requested', 'owner', msg.id]]);
    assert.match(timeline.stopped!.waiting, /^request \S+ waits for claude to take it/);
    const text = await run([msg.id]);
    assert.match(text.stdout, /: stopped, /);
    assert.match(text.stdout, /\nstopped: request \S+ waits for claude to take it \(is claude running\? agentnet status\), for /);
    const bad = await agentnet(['bridge', 'send', '--to', 'claude', '--meta', 'trace=abc', 'x'], { cwd: t.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--meta trace=abc: a trace id is 32 lowercase hex digits/);
  });
});
