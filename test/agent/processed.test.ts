import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ProcessedLog } from '../../src/agent/processed.ts';
import { startAgent, type RunningAgent } from '../../src/cli/roles.ts';
import { createJsonlBridge, type Bridge } from '../../src/bridge/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { tempDir, waitFor, writeNetwork } from '../helpers/util.ts';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('the processed-ids log', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir('agentnet-processed-')));
  afterEach(() => cleanup());

  it('remembers at most `keep` ids, forgetting the oldest, and its file stays within twice that', () => {
    const file = join(dir, 'processed.ids');
    const log = new ProcessedLog(file, { keep: 5 });
    for (let i = 1; i <= 23; i++) {
      log.add(`m${i}`);
      assert.ok(log.size <= 5, `size ${log.size} after ${i}`);
      assert.ok(lines(file).length < 10, `${lines(file).length} lines after ${i}`);
    }
    assert.deepEqual(['m18', 'm19', 'm20', 'm21', 'm22', 'm23'].map((id) => log.has(id)), [false, true, true, true, true, true]);
    assert.equal(log.has('m1'), false);
    log.add('m23');
    assert.equal(log.size, 5, 'an id added again is not a new one');
  });

  it('a new process remembers the newest ids from the file, within the bound', () => {
    const file = join(dir, 'processed.ids');
    const first = new ProcessedLog(file, { keep: 4 });
    for (let i = 1; i <= 7; i++) first.add(`m${i}`);
    const second = new ProcessedLog(file, { keep: 4 });
    assert.equal(second.size, 4);
    assert.deepEqual(['m3', 'm4', 'm5', 'm6', 'm7'].map((id) => second.has(id)), [false, true, true, true, true]);
    // A file left long by an older version is cut at start.
    const third = new ProcessedLog(file, { keep: 2 });
    assert.equal(third.size, 2);
    assert.deepEqual(lines(file), ['m6', 'm7']);
  });
});

describe('an agent whose processed log forgot a message', () => {
  let dir: string;
  let cleanup: () => void;
  let config: Config;
  let bridge: Bridge;
  const running: RunningAgent[] = [];
  const start = async () => {
    const a = await startAgent({ config, agent: 'claude', stdout: false });
    running.push(a);
    return a;
  };
  const responsesTo = async (id: string) => (await bridge.list({ type: 'response' })).filter((m) => m.replyTo === id);

  beforeEach(async () => {
    ({ dir, cleanup } = tempDir('agentnet-processed-rt-'));
    const { file } = await writeNetwork(dir);
    config = loadConfig(file, { env: {} }).config;
    bridge = createJsonlBridge({ path: config.bridge.path, pollIntervalMs: 100 });
  });
  afterEach(async () => {
    for (const a of running.splice(0)) await a.stop();
    await bridge.close();
    cleanup();
  });

  it('does not handle it again when it is delivered again: the bridge knows it is done', async () => {
    const first = await start();
    const req = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'once' });
    await waitFor(async () => (await responsesTo(req.id)).length === 1, 'the answer');
    await first.stop();
    // Evicted from the bounded log, and the cursor lost: the pending record is delivered again.
    rmSync(join(config.stateDir, 'agents', 'claude', 'processed.ids'), { force: true });
    rmSync(join(config.bridge.path, '..', 'cursors'), { recursive: true, force: true });
    await start();
    const next = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'after restart' });
    await waitFor(async () => (await responsesTo(next.id)).length === 1, 'the next answer');
    assert.equal((await responsesTo(req.id)).length, 1, 'no second reply');
  });
});
