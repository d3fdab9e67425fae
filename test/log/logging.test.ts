import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createAgentLogger } from '../../src/log/agent-logger.ts';
import { createRedactor } from '../../src/log/redact.ts';
import { agentnet, tempDir, writeNetwork } from '../helpers/util.ts';

describe('agent logs', () => {
  it('writes one JSON object per line with ts, level, agent and event, secrets redacted', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'logs', 'kami.log');
      const log = createAgentLogger({ agent: 'kami', file, stdout: false, secrets: ['my-green-token-123456'] });
      log.info({ url: 'https://7105.api.greenapi.com/waInstance1101000001/sendMessage/0123456789abcdef0123456789abcdef', chat: '972500000000@c.us' }, 'sent reply');
      log.error({ err: new Error('401: bad key sk-ant-api03-abcdefghijklmnopqrstuvwxyz'), headers: { authorization: 'Bearer abcdefghijklmnop' } }, 'model call failed');
      log.warn({ note: 'token my-green-token-123456 leaked into text' }, 'odd');
      log.flush();
      const entries = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(entries.length, 3);
      assert.deepEqual(Object.keys(entries[0]).slice(0, 3), ['level', 'ts', 'agent']);
      assert.equal(entries[0].event, 'sent reply');
      assert.equal(entries[0].agent, 'kami');
      assert.ok(!Number.isNaN(Date.parse(entries[0].ts)));
      const text = readFileSync(file, 'utf8');
      for (const secret of ['0123456789abcdef0123456789abcdef', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnop', 'my-green-token-123456']) {
        assert.ok(!text.includes(secret), `leaked ${secret}`);
      }
      assert.match(entries[0].url, /waInstance1101000001\/sendMessage\/\*\*\*/);
      assert.equal(entries[0].chat, '972500000000@c.us', 'ordinary values stay readable');
    } finally {
      cleanup();
    }
  });

  it('redacts Telegram bot tokens in URLs', () => {
    const redact = createRedactor();
    assert.equal(redact('GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe'), 'GET https://api.telegram.org/bot***/getMe');
  });

  it('agentnet logs merges agents by time and filters by agent, level and event', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await writeNetwork(dir);
      const logs = join(dir, '.agentnet', 'logs');
      mkdirSync(logs, { recursive: true });
      const line = (ts: string, level: string, agent: string, event: string, extra = {}) => JSON.stringify({ level, ts, agent, ...extra, event }) + '\n';
      writeFileSync(join(logs, 'claude.log'), line('2026-11-24T10:00:01Z', 'info', 'claude', 'started') + line('2026-11-24T10:00:03Z', 'error', 'claude', 'handling failed', { id: 'kami-1' }));
      writeFileSync(join(logs, 'kami.log'), line('2026-11-24T10:00:02Z', 'warn', 'kami', 'took message', { id: 'kami-1' }) + 'not json\n');
      const all = await agentnet(['logs'], { cwd: dir });
      assert.equal(all.code, 0, all.stderr);
      assert.deepEqual(all.stdout.trim().split('\n').map((l) => l.split(/\s+/)[2]), ['claude:', 'kami:', 'claude:'], 'merged by time');
      const warn = await agentnet(['logs', '--level', 'warn'], { cwd: dir });
      assert.equal(warn.code, 0, warn.stderr);
      assert.equal(warn.stdout.trim().split('\n').length, 2, `stdout: ${warn.stdout}\nstderr: ${warn.stderr}`);
      const ev = await agentnet(['logs', '--event', 'took', '--json'], { cwd: dir });
      assert.deepEqual(JSON.parse(ev.stdout), { level: 'warn', ts: '2026-11-24T10:00:02Z', agent: 'kami', id: 'kami-1', event: 'took message' });
      const one = await agentnet(['logs', 'claude', '-n', '1'], { cwd: dir });
      assert.match(one.stdout.trim(), /^2026-11-24T10:00:03Z ERROR claude: handling failed {2}id=kami-1$/);
      const bad = await agentnet(['logs', 'nobody'], { cwd: dir });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /no agent "nobody"/);
    } finally {
      cleanup();
    }
  });
});
