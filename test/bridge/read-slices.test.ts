/**
 * A long stretch of the jsonl bridge (a first start over a month of lines, a seed file brought
 * in) is read in slices that give the event loop a turn, so /health and the rest of an agent are
 * not held up for the length of the file. Slices are counted as turns of the event loop, never
 * timed: `sliceMs: 0` gives a turn after every line, a huge slice gives none (the adversary: what
 * the reads did before).
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createJsonlBridge, type BridgeMessage } from '../../src/bridge/index.ts';
import { tempDir } from '../helpers/util.ts';

const PAIRS = 5_000;
const TS = '2026-12-01T10:00:00.000Z';

function monthOfLines(path: string): void {
  let text = '';
  for (let i = 0; i < PAIRS; i++) {
    text += JSON.stringify({ ts: TS, from: 'kami', to: 'claude', type: 'request', id: `r-${i}`, content: `question ${i}`, status: 'done' }) + '\n';
    text += JSON.stringify({ ts: TS, from: 'claude', to: 'kami', type: 'response', id: `a-${i}`, replyTo: `r-${i}`, content: `answer ${i}`, status: 'done' }) + '\n';
  }
  text += JSON.stringify({ ts: TS, from: 'kami', to: 'claude', type: 'request', id: 'r-last', content: 'the one still pending', status: 'pending' }) + '\n';
  appendFileSync(path, text);
}

/** Counts the event loop's turns (setImmediate callbacks) while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let counting = true;
  const tick = () => {
    if (!counting) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const started = turns;
  const result = await work();
  counting = false;
  return { result, turns: turns - started };
}

describe('jsonl bridge reads in slices', () => {
  for (const [name, sliceMs, sliced] of [['in slices', 0, true], ['without slices', 1e9, false]] as const) {
    it(`looking a message up in a long file the bridge has not read yet, ${name}`, async () => {
      const { dir, cleanup } = tempDir();
      const path = join(dir, 'messages.jsonl');
      monthOfLines(path);
      const bridge = createJsonlBridge({ path, sliceMs, watch: false });
      try {
        const { result, turns } = await turnsDuring(() => bridge.answerOf(`r-${PAIRS - 1}`));
        assert.equal(result?.id, `a-${PAIRS - 1}`, 'the same answer either way');
        assert.equal((await bridge.get('r-last'))?.status, 'pending');
        if (sliced) assert.ok(turns > PAIRS, `the event loop had a turn between lines (${turns} turns for ${2 * PAIRS} lines)`);
        else assert.equal(turns, 0, 'one read holds the loop for the whole file');
      } finally {
        await bridge.close();
        cleanup();
      }
    });

    it(`a subscriber reading a long file from the start for the one message it wants, ${name}`, async () => {
      const { dir, cleanup } = tempDir();
      const path = join(dir, 'messages.jsonl');
      monthOfLines(path);
      const bridge = createJsonlBridge({ path, sliceMs, watch: false, pollIntervalMs: 60_000 });
      try {
        const { result, turns } = await turnsDuring(
          () =>
            new Promise<BridgeMessage[]>((resolve) => {
              const got: BridgeMessage[] = [];
              bridge.subscribe({ from: 'start', filter: { status: 'pending' } }, async (m) => {
                got.push(m);
                resolve(got);
              });
            }),
        );
        assert.deepEqual(result.map((m) => m.id), ['r-last'], 'only the pending message, once');
        if (sliced) assert.ok(turns > PAIRS, `the event loop had a turn between lines (${turns} turns for ${2 * PAIRS} lines)`);
        else assert.ok(turns < 10, `the lines before it were read in one go (${turns} turns)`);
      } finally {
        await bridge.close();
        cleanup();
      }
    });
  }
});
