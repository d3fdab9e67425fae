import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { agentnet, tempDir, writeNetwork } from '../helpers/util.ts';

describe('agentnet tasks and memory', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (args: string[]) => agentnet(args, { cwd: dir });
  before(async () => {
    ({ dir, cleanup } = tempDir('agentnet-store-cli-'));
    await writeNetwork(dir);
  });
  after(() => cleanup());

  it('adds, lists, shows, cancels and retries tasks', async () => {
    const id = (await run(['tasks', 'add', 'deploy', '--payload', '{"env":"staging"}', '--key', 'k1'])).stdout.trim();
    assert.match(id, /^task-/);
    assert.equal((await run(['tasks', 'add', 'deploy', '--key', 'k1'])).stdout.trim(), id, 'same key, same task');
    await run(['tasks', 'add', 'monitor', '--at', '+1h', '--priority', '5']);
    const ls = await run(['tasks', 'ls']);
    assert.match(ls.stdout, /^2 queued, 0 running, 0 done, 0 dead, 0 cancelled/);
    const show = JSON.parse((await run(['tasks', 'show', id])).stdout);
    assert.deepEqual([show.kind, show.payload, show.state], ['deploy', { env: 'staging' }, 'queued']);
    assert.match((await run(['tasks', 'cancel', id])).stdout, /cancelled/);
    assert.match((await run(['tasks', 'retry', id])).stdout, /queued/);
    const again = await run(['tasks', 'retry', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /only dead or cancelled tasks can be retried/);
    const bad = await run(['tasks', 'add', 'prompt', '--payload', '{nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--payload is not JSON/);
    const unknown = await run(['tasks', 'add', 'deplyo']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown task kind "deplyo"; the autonomous agent runs: monitor, rotate-bridge, deploy, code-review, prompt/);
    assert.equal((await run(['tasks', 'show', 'task-none'])).code, 1);
  });

  it('sets, gets, lists and removes memory, with compare-and-set', async () => {
    assert.match((await run(['memory', 'set', 'kaylee', 'last-deploy', '{"ok":true}', '--by', 'kaylee'])).stdout, /version 1/);
    assert.match((await run(['memory', 'set', 'kaylee', 'note', 'plain text'])).stdout, /version 1/);
    assert.equal((await run(['memory', 'get', 'kaylee', 'note'])).stdout.trim(), '"plain text"');
    const conflict = await run(['memory', 'set', 'kaylee', 'last-deploy', '2', '--if-version', '0']);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /is at version 1, not 0/);
    const e = JSON.parse((await run(['memory', 'get', 'kaylee', 'last-deploy', '--json'])).stdout);
    assert.deepEqual([e.value, e.writtenBy, e.version], [{ ok: true }, 'kaylee', 1]);
    assert.match((await run(['memory', 'ls', 'kaylee'])).stdout, /last-deploy {2}v1 {2}kaylee/);
    assert.equal((await run(['memory', 'rm', 'kaylee', 'last-deploy'])).code, 0);
    const gone = await run(['memory', 'get', 'kaylee', 'last-deploy']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no kaylee\/last-deploy/);
    const history = (await run(['memory', 'get', 'kaylee', 'last-deploy', '--history'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(history.map((h) => h.deleted), [true, false]);
  });
});
