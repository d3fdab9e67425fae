/** Rotation against seed-style writers: processes that append with appendFileSync and take no lock. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { acquireFileLock, createJsonlBridge, type Bridge, type BridgeMessage, type Subscription } from '../../src/bridge/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { collect, spawnNode, tempDir, waitFor, type RunResult } from '../helpers/util.ts';

const WRITER = new URL('./lockless-writer.ts', import.meta.url).pathname;
const ROTATOR = new URL('./rotate-worker.ts', import.meta.url).pathname;
/** Old done lines added before each rotation, so every rotation has work to do and takes a while. */
const OLD_LINES = 20_000;
/** Old lines are from 2026-01..09, the lockless lines are from now: these are archived, those kept. */
const DAYS = 30;

/** A batch of old, done messages, appended under the bridge lock as agentnet's own writer would. */
async function appendOldBatch(path: string, batch: number): Promise<void> {
  const month = String((batch % 9) + 1).padStart(2, '0');
  let text = '';
  for (let i = 0; i < OLD_LINES; i++) {
    text += JSON.stringify({ ts: `2026-${month}-10T08:00:00.000Z`, from: 'kami', type: 'notification', id: `old-${batch}-${i}`, content: `an old finished job, number ${i}`, status: 'done' }) + '\n';
  }
  const lock = await acquireFileLock(`${path}.lock`);
  try {
    appendFileSync(path, text);
  } finally {
    lock.release();
  }
}

interface Writers {
  /** Each writer's prefix and, once stopped, how many lines it says it wrote. */
  stop(): Promise<Array<{ prefix: string; count: number }>>;
}

/** Starts lockless writer processes and resolves once each has written its first line. */
async function startWriters(dir: string, path: string, n: number, burst = 2, pauseMs = 1): Promise<Writers> {
  const stopFile = join(dir, 'stop-writers');
  const procs = Array.from({ length: n }, (_, w) => {
    const child: ChildProcess = spawnNode([WRITER, path, `w${w}`, stopFile, String(burst), String(pauseMs)]);
    const done = collect(child);
    let out = '';
    child.stdout!.on('data', (d: string) => (out += d));
    return { prefix: `w${w}`, done, started: () => out.includes('started') || child.exitCode !== null };
  });
  await waitFor(() => procs.every((p) => p.started()), 'every writer to start');
  return {
    async stop() {
      writeFileSync(stopFile, '');
      const results: RunResult[] = await Promise.all(procs.map((p) => p.done));
      return procs.map((p, i) => {
        const r = results[i]!;
        assert.equal(r.code, 0, r.stderr);
        const m = /wrote (\d+)/.exec(r.stdout);
        assert.ok(m, `writer ${p.prefix} said how much it wrote: ${r.stdout}`);
        return { prefix: p.prefix, count: Number(m[1]) };
      });
    },
  };
}

/** How often each lockless id occurs in the live file and the archives (not in `.prev`: the next rotation deletes it). */
function countInFiles(dir: string, path: string): Map<string, number> {
  const counts = new Map<string, number>();
  const archives = readdirSync(dir).filter((n) => /^messages-archive-\d{4}-\d{2}\.jsonl$/.test(n)).map((n) => join(dir, n));
  for (const file of [path, ...archives]) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"from":"seed"')) continue;
      try {
        const id = (JSON.parse(line) as BridgeMessage).id;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      } catch {
        /* a torn fragment: not a record */
      }
    }
  }
  return counts;
}

/** Lost and duplicated ids among what the writers wrote, with a few examples of each. */
function tally(written: Array<{ prefix: string; count: number }>, counts: Map<string, number>) {
  const lost: string[] = [];
  const duplicated: string[] = [];
  for (const { prefix, count } of written) {
    for (let i = 0; i < count; i++) {
      const n = counts.get(`${prefix}-${i}`) ?? 0;
      if (n === 0) lost.push(`${prefix}-${i}`);
      else if (n > 1) duplicated.push(`${prefix}-${i}`);
    }
  }
  const total = written.reduce((s, w) => s + w.count, 0);
  return { total, lost: lost.length, duplicated: duplicated.length, examples: { lost: lost.slice(0, 5), duplicated: duplicated.slice(0, 5) } };
}

function setup() {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'messages.jsonl');
  const logger = createMemoryLogger();
  const bridge = createJsonlBridge({ path, logger, pollIntervalMs: 50 });
  return { dir, path, logger, bridge, cleanup };
}

/** A subscriber from the start that counts every lockless record it is handed. */
async function countingSubscriber(bridge: Bridge) {
  const delivered = new Map<string, number>();
  const sub: Subscription = bridge.subscribe({ from: 'start', filter: { from: 'seed' } }, (m) => void delivered.set(m.id, (delivered.get(m.id) ?? 0) + 1));
  await sub.ready;
  return { sub, delivered };
}

/** The file identity part of a jsonl cursor (`j1:<dev>:<ino>:<birth>:<offset>:<line>`). */
const cursorFile = (sub: Subscription) => sub.cursor()?.split(':').slice(1, 4).join(':');
const liveFile = (path: string) => {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
};

/** Waits until the reader has followed the last rotation into the live file (a reader lapped twice is a known limit, not this test's subject). */
const followed = (sub: Subscription, path: string) => waitFor(() => cursorFile(sub) === liveFile(path), 'the subscriber to follow the rotation');

/** Runs a rotation in a child process; returns how many messages it archived. */
async function rotateInChild(path: string): Promise<number> {
  const r = await collect(spawnNode([ROTATOR, path, String(DAYS)]));
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { archived: number }).archived;
}

/** Appends a last record through the bridge and waits for it: the reader has then seen every line before it. */
async function drain(bridge: Bridge, delivered: Map<string, number>): Promise<void> {
  await bridge.append({ from: 'seed', type: 'notification', id: 'seed-sentinel', content: 'end of the test' });
  await waitFor(() => delivered.has('seed-sentinel'), 'the subscriber to reach the last record', 60_000);
  delivered.delete('seed-sentinel');
}

/** Which of rotation's lockless paths this run went through (they depend on scheduling; the assertions do not). */
function reportPaths(t: TestContext, logger: ReturnType<typeof createMemoryLogger>): void {
  const sum = (msg: string, field: string) => logger.entries.filter((e) => e.msg === msg).reduce((n, e) => n + Number(e[field] ?? 0), 0);
  t.diagnostic(
    `caught up ${sum('bridge rotated', 'caughtUp')} lines before swaps; carried ${sum('bridge rotated', 'carriedBytes')} bytes right after swaps; ` +
      `carried ${sum('carried lines a lockless writer appended to the replaced bridge file late', 'lines')} lines from .prev; ` +
      `the reader read ${sum('read past the end rotation copied; the carried copies of those lines will be skipped', 'lines')} lines past a rotation's end`,
  );
}

describe('jsonl rotation with lockless (seed-style) writer processes', () => {
  it('10 rotations while 3 lockless writers append: every line is in live + archives exactly once and delivered exactly once', { timeout: 300_000 }, async (tc) => {
    const t = setup();
    try {
      const { sub, delivered } = await countingSubscriber(t.bridge);
      const writers = await startWriters(t.dir, t.path, 3);
      let archived = 0;
      for (let r = 0; r < 10; r++) {
        await appendOldBatch(t.path, r);
        // Every other rotation runs in its own process, as `agentnet bridge rotate` does: the reader then reads during it.
        archived += r % 2 === 0 ? (await t.bridge.rotate({ olderThanDays: DAYS })).archived : await rotateInChild(t.path);
        await followed(sub, t.path);
      }
      const written = await writers.stop();
      archived += (await t.bridge.rotate({ olderThanDays: DAYS })).archived; // picks up lines that reached the replaced file late
      assert.equal(archived, 10 * OLD_LINES, 'every old line archived once');

      const inFiles = tally(written, countInFiles(t.dir, t.path));
      assert.ok(inFiles.total > 0);
      assert.deepEqual({ lost: inFiles.lost, duplicated: inFiles.duplicated }, { lost: 0, duplicated: 0 }, `in live + archives, of ${inFiles.total}: ${JSON.stringify(inFiles.examples)}`);

      await drain(t.bridge, delivered);
      const got = tally(written, delivered);
      reportPaths(tc, t.logger);
      assert.deepEqual({ lost: got.lost, duplicated: got.duplicated }, { lost: 0, duplicated: 0 }, `delivered, of ${got.total}: ${JSON.stringify(got.examples)}`);
      await sub.close();
    } finally {
      await t.bridge.close();
      t.cleanup();
    }
  });

  it('a rotation process SIGKILLed mid-way while lockless writers append loses nothing; the next rotation finishes the job', { timeout: 300_000 }, async (tc) => {
    const t = setup();
    try {
      const { sub, delivered } = await countingSubscriber(t.bridge);
      const writers = await startWriters(t.dir, t.path, 2);
      const tmpOf = (pid: number) => `${t.path}.rotate-${pid}.tmp`;
      const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
      // Where the killer strikes: pass 2 just started, pass 2 under way (its first MiB archived), the new file just swapped in.
      const killPoints: Array<[string, (pid: number, before: string) => boolean]> = [
        ['pass 2 started', (pid) => existsSync(tmpOf(pid))],
        ['pass 2 under way', (pid) => existsSync(tmpOf(pid)) && size(join(t.dir, 'messages-archive-2026-02.jsonl')) >= 1 << 20], // batch 1's month
        ['just after the swap', (_pid, before) => liveFile(t.path) !== before],
      ];
      let killedMidway = 0;
      for (const [batch, [where, due]] of killPoints.entries()) {
        await appendOldBatch(t.path, batch);
        const before = liveFile(t.path);
        const child = spawnNode([ROTATOR, t.path, String(DAYS)]);
        const exited = collect(child);
        await waitFor(() => child.exitCode !== null || due(child.pid!, before), `the rotation to reach "${where}"`, 60_000);
        child.kill('SIGKILL');
        const r = await exited;
        if (r.signal === 'SIGKILL') killedMidway++;
        else assert.equal(r.code, 0, r.stderr);
        tc.diagnostic(r.signal === 'SIGKILL' ? `killed the rotation at "${where}"` : `the rotation finished before "${where}" was seen`);
        // A normal rotation next (it breaks the dead process's lock), then the reader follows.
        await appendOldBatch(t.path, batch + 10);
        await t.bridge.rotate({ olderThanDays: DAYS });
        await followed(sub, t.path);
      }
      assert.ok(killedMidway >= 1, 'at least one rotation was killed before it finished');
      const written = await writers.stop();
      await t.bridge.rotate({ olderThanDays: DAYS });

      const inFiles = tally(written, countInFiles(t.dir, t.path));
      assert.deepEqual({ lost: inFiles.lost, duplicated: inFiles.duplicated }, { lost: 0, duplicated: 0 }, `in live + archives, of ${inFiles.total}: ${JSON.stringify(inFiles.examples)}`);
      await drain(t.bridge, delivered);
      const got = tally(written, delivered);
      reportPaths(tc, t.logger);
      assert.equal(got.lost, 0, `delivered, of ${got.total}: ${JSON.stringify(got.examples)}`);
      assert.equal(got.duplicated, 0, `delivered twice, of ${got.total}: ${JSON.stringify(got.examples)}`);
      assert.deepEqual(readdirSync(t.dir).filter((n) => n.includes('.rotate-')), [], 'the killed rotations\' temp files are cleaned up');
      await sub.close();
    } finally {
      await t.bridge.close();
      t.cleanup();
    }
  });
});

describe('jsonl rotation: lines that reach the replaced file after the swap', () => {
  const AHEAD = { olderThanDays: 1, now: new Date(Date.now() + 2 * 86_400_000) };
  const seedLine = (id: string) => JSON.stringify({ ts: new Date().toISOString(), from: 'seed', type: 'request', id, content: id, status: 'pending' }) + '\n';
  const TORN = '{"ts":"2026-12-04T00:00:00.000Z","from":"se';

  /** Rotates while a seed writer sits between its open and its write, which then lands in the replaced file. */
  async function rotateUnderLateWriter(t: ReturnType<typeof setup>, late: string) {
    const old = await t.bridge.append({ from: 'kami', type: 'request', content: 'to archive' });
    await t.bridge.markDone(old);
    const fd = openSync(t.path, 'a');
    const oldFile = liveFile(t.path);
    try {
      await t.bridge.rotate(AHEAD);
      assert.notEqual(liveFile(t.path), oldFile);
      writeSync(fd, late);
    } finally {
      closeSync(fd);
    }
    return oldFile;
  }

  it('the next rotation carries them into the live file once; a reader that handled them in the old file is not handed them again; a torn tail is quarantined', async () => {
    const t = setup();
    try {
      const oldFile = await rotateUnderLateWriter(t, seedLine('seed-late-1') + TORN);
      assert.equal(countInFiles(t.dir, t.path).get('seed-late-1'), undefined, 'only in .prev so far');
      // A reader stopped with its cursor just past the late line: it handled it in the old file.
      const prev = readFileSync(`${t.path}.prev`);
      const offset = prev.length - TORN.length;
      const lineNo = prev.subarray(0, offset).toString().split('\n').length - 1;
      const got: string[] = [];
      const sub = t.bridge.subscribe({ from: `j1:${oldFile}:${offset}:${lineNo}` }, (m) => void got.push(m.id));
      await sub.ready;
      const after = await t.bridge.append({ from: 'kami', type: 'request', content: 'after the swap' });
      await waitFor(() => got.includes(after.id), 'the reader to reach the live file');

      const r = await t.bridge.rotate(AHEAD);
      assert.equal(r.quarantined, 1, 'the torn tail nobody completed');
      assert.deepEqual(readFileSync(join(t.dir, 'messages-malformed.jsonl'), 'utf8'), TORN + '\n');
      assert.equal(countInFiles(t.dir, t.path).get('seed-late-1'), 1, 'carried into the live file');
      await t.bridge.rotate(AHEAD);
      assert.equal(countInFiles(t.dir, t.path).get('seed-late-1'), 1, 'carried once only');

      const last = await t.bridge.append({ from: 'kami', type: 'request', content: 'last' });
      await waitFor(() => got.includes(last.id), 'the last record');
      assert.deepEqual(got, [after.id, last.id], 'the late line came before the cursor: not delivered again');
      const fresh: string[] = [];
      const sub2 = t.bridge.subscribe({ from: 'start' }, (m) => void fresh.push(m.id));
      await sub2.ready;
      await waitFor(() => fresh.includes(last.id), 'a new reader to read the live file');
      assert.deepEqual(fresh.filter((id) => id === 'seed-late-1'), ['seed-late-1'], 'a reader from the start gets it once');
      await sub.close();
      await sub2.close();
    } finally {
      await t.bridge.close();
      t.cleanup();
    }
  });

  it('a carry whose record a crash lost is not repeated', async () => {
    const t = setup();
    try {
      const late = seedLine('seed-late-2');
      await rotateUnderLateWriter(t, late);
      // As if a rotation appended the line to the live file and died before recording that it had.
      appendFileSync(t.path, late);
      await t.bridge.rotate(AHEAD);
      assert.equal(countInFiles(t.dir, t.path).get('seed-late-2'), 1);
    } finally {
      await t.bridge.close();
      t.cleanup();
    }
  });
});
