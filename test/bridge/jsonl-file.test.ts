/** What only the jsonl backend promises: the on-disk format, seed compatibility, and file-level faults. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createJsonlBridge, type BridgeMessage } from '../../src/bridge/index.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { tempDir, waitFor } from '../helpers/util.ts';

const SEED_FIELDS = ['ts', 'from', 'type', 'id', 'content', 'status'];

/** A file as the seed's own agents leave it: one line per message, updated in place to done. */
const SEED_FILE = [
  { ts: '2026-09-03T08:00:00.000Z', from: 'kami', type: 'request', id: 'kami-1788422400', content: 'תבדוק אם השרת למעלה', status: 'done', metadata: { whatsapp_sender: '972500000000@c.us', priority: 'high' } },
  { ts: '2026-09-03T08:02:10.000Z', from: 'claude', type: 'response', id: 'claude-1788422530', content: 'השרת למעלה, 12 ימים uptime', status: 'done' },
  { ts: '2026-11-20T09:00:00.000Z', from: 'kami', type: 'request', id: 'kami-1795683600', content: 'deploy staging', status: 'pending', metadata: { whatsapp_sender: '972500000000@c.us', context: 'from a voice note' } },
  { ts: '2026-11-20T09:05:00.000Z', from: 'kaylee', type: 'notification', id: 'kaylee-1795683900', content: 'backup finished', status: 'pending' },
]
  .map((m) => JSON.stringify(m))
  .join('\n') + '\n';

function setup(options: { watch?: boolean; pollIntervalMs?: number } = {}) {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'messages.jsonl');
  const logger = createMemoryLogger();
  const bridge = createJsonlBridge({ path, logger, pollIntervalMs: options.pollIntervalMs ?? 100, watch: options.watch ?? true });
  return { dir, path, logger, bridge, cleanup: async () => (await bridge.close(), cleanup()) };
}

const fileLines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

describe('jsonl bridge file', () => {
  it('writes every record as a complete seed BridgeMessage; a last-line-per-id reader agrees with list()', async () => {
    const t = setup();
    try {
      const a = await t.bridge.append({ from: 'kami', type: 'request', content: 'a', to: 'claude', metadata: { priority: 'high' } });
      await t.bridge.append({ from: 'claude', type: 'response', content: 'b', replyTo: a.id });
      await t.bridge.markDone(a.id);
      const lines = fileLines(t.path);
      assert.equal(lines.length, 3);
      for (const line of lines) {
        const m = JSON.parse(line) as Record<string, unknown>;
        assert.deepEqual(Object.keys(m).slice(0, 6), SEED_FIELDS, 'seed field order');
        for (const f of SEED_FIELDS) assert.equal(typeof m[f], 'string', f);
      }
      assert.deepEqual(JSON.parse(lines[2]!).metadata, { priority: 'high' }, 'a status change repeats the whole message');
      const seedView = new Map<string, BridgeMessage>();
      for (const line of lines) {
        const m = JSON.parse(line) as BridgeMessage;
        seedView.set(m.id, m);
      }
      assert.deepEqual([...seedView.values()], await t.bridge.list());
    } finally {
      await t.cleanup();
    }
  });

  it("reads a seed-written file (in-place updates, Hebrew, the seed's ids) and appends to it compatibly", async () => {
    const t = setup();
    try {
      writeFileSync(t.path, SEED_FILE);
      const all = await t.bridge.list();
      assert.deepEqual(all.map((m) => [m.id, m.status]), [
        ['kami-1788422400', 'done'],
        ['claude-1788422530', 'done'],
        ['kami-1795683600', 'pending'],
        ['kaylee-1795683900', 'pending'],
      ]);
      assert.equal(all[0]!.content, 'תבדוק אם השרת למעלה');
      assert.equal(all[2]!.metadata?.context, 'from a voice note');
      const done = await t.bridge.markDone('kami-1795683600');
      assert.equal(done.metadata?.whatsapp_sender, '972500000000@c.us');
      assert.ok(readFileSync(t.path, 'utf8').startsWith(SEED_FILE), 'existing lines untouched');
      assert.equal(fileLines(t.path).length, 5);
    } finally {
      await t.cleanup();
    }
  });

  it('survives a seed-style writer rewriting the file in place under a subscriber', async () => {
    const t = setup();
    try {
      writeFileSync(t.path, SEED_FILE);
      const got: string[] = [];
      const sub = t.bridge.subscribe({ from: 'end' }, (m) => void got.push(`${m.id}:${m.status}`));
      await sub.ready;
      // The seed's markMessageDone: read all, change one status, write the whole file back.
      writeFileSync(t.path, SEED_FILE.replace('"status":"pending"', '"status":"done"'));
      await waitFor(() => t.logger.entries.some((e) => /rewritten in place/.test(String(e.msg))), 'the rewrite to be noticed');
      const next = await t.bridge.append({ from: 'kami', type: 'request', content: 'after the rewrite' });
      await waitFor(() => got.includes(`${next.id}:pending`), 'the next message');
      await sub.close();
    } finally {
      await t.cleanup();
    }
  });

  it('starts an append after a torn tail on a line of its own', async () => {
    const t = setup();
    try {
      const first = await t.bridge.append({ from: 'kami', type: 'request', content: 'first' });
      appendFileSync(t.path, '{"ts":"2026-11-24T10:00:00Z","from":"ka');
      const second = await t.bridge.append({ from: 'kami', type: 'request', content: 'second' });
      const lines = fileLines(t.path);
      assert.equal(lines.length, 3);
      assert.equal(JSON.parse(lines[0]!).id, first.id);
      assert.equal(lines[1], '{"ts":"2026-11-24T10:00:00Z","from":"ka');
      assert.equal(JSON.parse(lines[2]!).id, second.id);
      assert.ok(t.logger.entries.some((e) => e.msg?.includes('torn line')));
    } finally {
      await t.cleanup();
    }
  });

  it('reports a full disk as BRIDGE_DISK_FULL and keeps working once there is room', async () => {
    const { dir, cleanup } = tempDir();
    const path = join(dir, 'messages.jsonl');
    symlinkSync('/dev/full', path); // every write to /dev/full fails with ENOSPC
    const bridge = createJsonlBridge({ path });
    try {
      await assert.rejects(
        bridge.append({ from: 'kami', type: 'request', content: 'x' }),
        (e) => isAgentnetError(e, 'BRIDGE_DISK_FULL') && /Free disk space/.test(e.message),
      );
      assert.ok(!existsSync(`${path}.lock`), 'the lock is released after a failed write');
      unlinkSync(path); // space again: the bridge file is an ordinary file now
      const m = await bridge.append({ from: 'kami', type: 'request', content: 'retried' });
      assert.deepEqual(fileLines(path).map((l) => JSON.parse(l).id), [m.id]);
    } finally {
      await bridge.close();
      cleanup();
    }
  });

  it('delivers by polling alone when notifications are off (network mounts)', async () => {
    const t = setup({ watch: false, pollIntervalMs: 30 });
    try {
      const got: string[] = [];
      const sub = t.bridge.subscribe({ from: 'end' }, (m) => void got.push(m.id));
      await sub.ready;
      const m = await t.bridge.append({ from: 'kami', type: 'request', content: 'x' });
      await waitFor(() => got.includes(m.id), 'the poll to deliver');
    } finally {
      await t.cleanup();
    }
  });

  it('a subscriber started before the bridge file exists receives the first message', async () => {
    const t = setup();
    try {
      assert.ok(!existsSync(t.path));
      const got: string[] = [];
      const sub = t.bridge.subscribe({ from: 'end' }, (m) => void got.push(m.id));
      await sub.ready;
      assert.equal(readFileSync(t.path, 'utf8'), '', 'created empty, so the position has a file to refer to');
      const m = await t.bridge.append({ from: 'kami', type: 'request', content: 'first ever' });
      await waitFor(() => got.includes(m.id), 'the first message');
    } finally {
      await t.cleanup();
    }
  });

  it('a damaged saved cursor does not stop its consumer: it starts over from `from`', async () => {
    const t = setup();
    try {
      const first = await t.bridge.append({ from: 'kami', type: 'request', content: 'x' });
      mkdirSync(join(t.dir, 'cursors'), { recursive: true });
      writeFileSync(join(t.dir, 'cursors', 'kami.cursor'), 'j1:garbage\n');
      const got: string[] = [];
      const sub = t.bridge.subscribe({ consumer: 'kami', from: 'start' }, (m) => void got.push(m.id));
      await sub.ready;
      await waitFor(() => got.includes(first.id), 'the replay');
      assert.ok(t.logger.entries.some((e) => /saved cursor is unreadable/.test(String(e.msg))));
      await sub.close();
    } finally {
      await t.cleanup();
    }
  });

  it('rejects a cursor from another backend with a usage error', async () => {
    const t = setup();
    try {
      const sub = t.bridge.subscribe({ from: 'pg:42' }, () => {});
      await assert.rejects(sub.ready, (e) => isAgentnetError(e, 'USAGE') && /cursor/.test(e.message));
    } finally {
      await t.cleanup();
    }
  });

  it('rotation archives by month of first record, keeps live lines byte for byte, quarantines malformed lines', async () => {
    const t = setup();
    try {
      writeFileSync(t.path, SEED_FILE + 'garbage line\n');
      const r = await t.bridge.rotate({ olderThanDays: 30, now: new Date('2026-11-24T00:00:00Z') });
      assert.deepEqual({ archived: r.archived, kept: r.kept, quarantined: r.quarantined }, { archived: 2, kept: 2, quarantined: 1 });
      const names = readdirSync(t.dir).sort();
      assert.ok(names.includes('messages-archive-2026-09.jsonl'), names.join(' '));
      assert.ok(names.includes('messages-malformed.jsonl'));
      const seedLines = SEED_FILE.trim().split('\n');
      assert.deepEqual(fileLines(join(t.dir, 'messages-archive-2026-09.jsonl')), seedLines.slice(0, 2));
      assert.deepEqual(fileLines(t.path), seedLines.slice(2), 'kept lines are the original bytes');
      assert.deepEqual(fileLines(join(t.dir, 'messages-malformed.jsonl')), ['garbage line']);
    } finally {
      await t.cleanup();
    }
  });

  it('rotation re-run after a crash between archiving and the swap does not archive twice', async () => {
    const t = setup();
    try {
      writeFileSync(t.path, SEED_FILE);
      const seedLines = SEED_FILE.trim().split('\n');
      // As if the previous run wrote the archive, then died before replacing the live file.
      writeFileSync(join(t.dir, 'messages-archive-2026-09.jsonl'), seedLines.slice(0, 2).join('\n') + '\n');
      const r = await t.bridge.rotate({ olderThanDays: 30, now: new Date('2026-11-24T00:00:00Z') });
      assert.equal(r.archived, 2);
      assert.deepEqual(fileLines(join(t.dir, 'messages-archive-2026-09.jsonl')), seedLines.slice(0, 2));
      assert.deepEqual(fileLines(t.path), seedLines.slice(2));
    } finally {
      await t.cleanup();
    }
  });

  it('rotation after a crash left a torn archive line loses no record', async () => {
    const t = setup();
    try {
      writeFileSync(t.path, SEED_FILE);
      const seedLines = SEED_FILE.trim().split('\n');
      // A rotation died while writing the archive: half a record, no newline. The live file still has both.
      writeFileSync(join(t.dir, 'messages-archive-2026-09.jsonl'), seedLines[0]!.slice(0, 50));
      await t.bridge.rotate({ olderThanDays: 30, now: new Date('2026-11-24T00:00:00Z') });
      assert.deepEqual(fileLines(join(t.dir, 'messages-archive-2026-09.jsonl')), seedLines.slice(0, 2));
      assert.equal((await t.bridge.get('kami-1788422400'))?.status, 'done');
    } finally {
      await t.cleanup();
    }
  });

  it('rotation with nothing to archive leaves the file alone', async () => {
    const t = setup();
    try {
      writeFileSync(t.path, SEED_FILE);
      const before = readFileSync(t.path);
      const r = await t.bridge.rotate({ olderThanDays: 365, now: new Date('2026-11-24T00:00:00Z') });
      assert.equal(r.archived, 0);
      assert.deepEqual(readFileSync(t.path), before);
      await sleep(1);
    } finally {
      await t.cleanup();
    }
  });
});
