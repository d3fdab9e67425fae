/** `agentnet migrate bridge`: jsonl → postgres and back, with history, idempotent, verified. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBridge } from '../../src/bridge/index.ts';
import { agentnet, tempDir } from '../helpers/util.ts';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/pg.ts';

const skip = await pgSkipReason();

describe('agentnet migrate bridge', { skip }, () => {
  const t = tempDir();
  const schema = freshSchema('migrate');
  const config = join(t.dir, 'agentnet.yaml');
  const jsonlPath = join(t.dir, '.agentnet', 'bridge', 'messages.jsonl');
  const migrate = (...args: string[]) => agentnet(['migrate', 'bridge', '-c', config, ...args], { cwd: t.dir });

  before(async () => {
    writeFileSync(config, `network: mig\nstore: { backend: postgres, url: "${PG_URL}", schema: ${schema} }\nbridge: { backend: jsonl }\nagents:\n  claude: { role: orchestrator, health: { port: 1 } }\n`);
    const jsonl = await openBridge({ backend: 'jsonl', path: jsonlPath });
    try {
      const req = await jsonl.append({ from: 'kami', to: 'claude', type: 'request', content: 'deploy the site', metadata: { whatsapp_sender: '972500000000@c.us', priority: 'high' } });
      await jsonl.append({ from: 'claude', to: 'kami', type: 'response', replyTo: req.id, content: 'done: v1.4 is live' });
      await jsonl.markDone(req);
      await jsonl.append({ from: 'kaylee', to: 'claude', type: 'notification', content: 'disk at 91% on vps-1' });
      await jsonl.append({ from: 'kami', to: 'claude', type: 'request', content: 'an old one', ts: '2026-01-02T03:04:05.000Z', status: 'done' });
      // The old one goes to a monthly archive: the migration takes archives too.
      assert.equal((await jsonl.rotate({ olderThanDays: 30 })).archived, 1);
    } finally {
      await jsonl.close();
    }
  });
  after(async () => {
    await dropSchema(schema);
    t.cleanup();
  });

  it('copies every message, archived ones included, with ids, times, statuses and metadata', async () => {
    const r = await migrate('--from', 'jsonl', '--to', 'postgres', '--json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const result = JSON.parse(r.stdout);
    assert.deepEqual([result.copied, result.source, result.target, result.complete], [4, 4, 4, true]);
    const jsonl = await openBridge({ backend: 'jsonl', path: jsonlPath, watch: false });
    const pgBridge = await openBridge({ backend: 'postgres', url: PG_URL, schema });
    try {
      assert.deepEqual(await pgBridge.list({ includeArchived: true }), await jsonl.list({ includeArchived: true }));
    } finally {
      await Promise.all([jsonl.close(), pgBridge.close()]);
    }
  });

  it('is idempotent: a second run copies nothing, and one after new work copies only that', async () => {
    const again = JSON.parse((await migrate('--from', 'jsonl', '--to', 'postgres', '--json')).stdout);
    assert.deepEqual([again.copied, again.alreadyThere, again.complete], [0, 4, true]);
    const jsonl = await openBridge({ backend: 'jsonl', path: jsonlPath, watch: false });
    try {
      const pending = (await jsonl.list({ status: 'pending' }))[0]!;
      await jsonl.markDone(pending);
      await jsonl.append({ from: 'kami', to: 'claude', type: 'request', content: 'one more' });
    } finally {
      await jsonl.close();
    }
    const third = await migrate('--from', 'jsonl', '--to', 'postgres');
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /jsonl → postgres: 1 copied, 1 marked done, 3 already there\nsource 5 messages, target has 5 of them: complete/);
  });

  it('goes back from postgres to a fresh jsonl file', async () => {
    const back = join(t.dir, 'back.jsonl');
    const r = await migrate('--from', 'postgres', '--to', 'jsonl', '--path', back, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([JSON.parse(r.stdout).copied, JSON.parse(r.stdout).complete], [5, true]);
    const copy = await openBridge({ backend: 'jsonl', path: back, watch: false });
    const pgBridge = await openBridge({ backend: 'postgres', url: PG_URL, schema });
    try {
      assert.deepEqual(await copy.list({ includeArchived: true }), await pgBridge.list({ includeArchived: true }));
    } finally {
      await Promise.all([copy.close(), pgBridge.close()]);
    }
  });

  it('refuses a migration to the same backend, and a missing URL, with the fix', async () => {
    const same = await migrate('--from', 'jsonl', '--to', 'jsonl');
    assert.equal(same.code, 2);
    assert.match(same.stderr, /--from and --to are both jsonl/);
    const local = join(t.dir, 'local.yaml');
    writeFileSync(local, `network: mig\nagents:\n  claude: { role: orchestrator, health: { port: 1 } }\n`);
    const noUrl = await agentnet(['migrate', 'bridge', '-c', local, '--from', 'jsonl', '--to', 'postgres'], { cwd: t.dir });
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /no PostgreSQL URL: pass --url postgres:\/\/\.\.\., or set store: postgres:\/\//);
  });
});
