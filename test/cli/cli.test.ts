/** The CLI as a user runs it: real processes, real files. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.ts';
import { loadCommand } from '../../src/cli/main.ts';
import { agentnet, BIN, lines, spawnNode, tempDir, waitFor, writeNetwork } from '../helpers/util.ts';

const NO_STACK = /\n\s+at /;

describe('agentnet CLI', () => {
  let dir: string;
  let cleanup: () => void;
  const run = (args: string[], input?: string) => agentnet(args, { cwd: dir, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    ({ dir, cleanup } = tempDir('agentnet-cli-'));
    const r = await run(['init']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => cleanup());

  it('prints an overview listing every command; no arguments is a usage error', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    for (const c of COMMANDS) assert.ok(help.stdout.includes(`  ${c.name} `), c.name);
    const none = await run([]);
    assert.equal(none.code, 2);
    const version = await run(['--version']);
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('says the installation is incomplete when a command cannot be loaded (a dependency missing)', async () => {
    let said = '';
    const io = { out: () => {}, err: (s: string) => void (said += s), env: {}, cwd: dir, signal: new AbortController().signal, stdin: async () => '' };
    const broken = { name: 'mcp', summary: 'x', load: () => import('@modelcontextprotocol/no-such-package' as string) as never };
    assert.equal(await loadCommand(broken, io), undefined);
    assert.match(said, /^agentnet mcp: cannot load the command: .*no-such-package.*\nThe installation is incomplete: run npm install/s);
  });

  it('has --help on every command', async () => {
    for (const c of COMMANDS) {
      const r = await run([...c.name.split(' '), '--help']);
      assert.equal(r.code, 0, c.name);
      assert.ok(r.stdout.startsWith(`Usage: agentnet ${c.name}`), r.stdout);
    }
    const group = await run(['bridge']);
    assert.equal(group.code, 2);
    assert.match(group.stdout, /bridge send/);
  });

  it('rejects unknown commands and options with exit code 2 and no stack trace', async () => {
    const cmd = await run(['brige', 'ls']);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /unknown command "brige"/);
    const opt = await run(['bridge', 'ls', '--frm', 'kami']);
    assert.equal(opt.code, 2);
    assert.match(opt.stderr, /Unknown option '--frm'[\s\S]*Usage: agentnet bridge ls/);
    const val = await run(['bridge', 'send', '--to', 'claude', '--type', 'ping', 'x']);
    assert.equal(val.code, 2);
    assert.match(val.stderr, /--type "ping": expected one of request, response, notification/);
    assert.doesNotMatch(opt.stderr + val.stderr, NO_STACK);
  });

  it('explains a missing config and an invalid one, exiting 1 without a stack trace', async () => {
    const { dir: empty, cleanup: done } = tempDir();
    try {
      const missing = await agentnet(['bridge', 'ls'], { cwd: empty });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /agentnet init/);
      writeFileSync(join(empty, 'agentnet.yaml'), 'network: home\nagents:\n  kami:\n    role: relay\n    health: { port: "7702x" }\n');
      const bad = await agentnet(['config', 'check'], { cwd: empty });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /agentnet\.yaml:5:\d+ +agents\.kami\.health\.port: expected number, got "7702x"/);
      assert.doesNotMatch(bad.stderr, NO_STACK);
    } finally {
      done();
    }
  });

  it('an agent that cannot start says why in its own log file and on stderr', async () => {
    const t = tempDir('agentnet-cli-start-');
    const { createServer } = await import('node:net');
    const taken = createServer();
    try {
      const { file, ports } = await writeNetwork(t.dir);
      await new Promise<void>((resolve) => taken.listen(ports.kaylee, '127.0.0.1', () => resolve()));
      const r = await agentnet(['run', 'kaylee', '-c', file, '--quiet'], { cwd: t.dir });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`kaylee could not start \\(HEALTH_PORT_IN_USE\\): health port 127\\.0\\.0\\.1:${ports.kaylee} is in use`));
      assert.doesNotMatch(r.stderr, NO_STACK);
      const log = readFileSync(join(t.dir, '.agentnet', 'logs', 'kaylee.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const failed = log.find((l) => l.event === 'start failed');
      assert.ok(failed, `a "start failed" line in the log: ${JSON.stringify(log)}`);
      assert.equal(failed.level, 'error');
      assert.equal(failed.agent, 'kaylee');
      assert.equal(failed.code, 'HEALTH_PORT_IN_USE');
      assert.match(String((failed.err as { message?: string }).message), /is in use: is this agent already running\?/);
    } finally {
      taken.close();
      t.cleanup();
    }
  });

  it('config check prints the resolved config with secrets masked', async () => {
    const { dir: d, cleanup: done } = tempDir();
    try {
      writeFileSync(
        join(d, 'agentnet.yaml'),
        'network: home\nagents:\n  kami:\n    role: relay\n    health: { port: 7702 }\n    channel: { type: whatsapp, idInstance: "1101", apiToken: "${GREEN_API_TOKEN}" }\n',
      );
      const r = await agentnet(['config', 'check', '--json'], { cwd: d, env: { GREEN_API_TOKEN: 'very-secret-token-123' } });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes('very-secret-token-123'));
      const cfg = JSON.parse(r.stdout);
      assert.equal(cfg.agents.kami.channel.apiToken, '********');
      assert.equal(cfg.agents.kami.channel.apiUrl, 'https://api.green-api.com');
      const unset = await agentnet(['config', 'check'], { cwd: d, env: { GREEN_API_TOKEN: '' } });
      assert.equal(unset.code, 1);
      assert.match(unset.stderr, /agents\.kami\.channel\.apiToken: environment variable GREEN_API_TOKEN is not set/);
    } finally {
      done();
    }
  });

  it('sends, lists, marks done and counts messages', async () => {
    const sent = await run(['bridge', 'send', '--to', 'claude', '--from', 'kami', '--priority', 'high', '--sender', '972500000000@c.us', '--meta', 'lang=he', 'check', 'the', 'server']);
    assert.equal(sent.code, 0, sent.stderr);
    const id = sent.stdout.trim();
    assert.match(id, /^kami-\d+-[a-z0-9]{6}$/);
    const fromStdin = await run(['bridge', 'send', '--to', 'kaylee', '--type', 'notification', '--json', '-'], 'line one\nline two\n');
    const note = JSON.parse(fromStdin.stdout);
    assert.equal(note.content, 'line one\nline two');
    assert.equal(note.from, 'owner');

    const ls = await run(['bridge', 'ls', '--to', 'claude', '--json']);
    const listed = ls.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const mine = listed.find((m) => m.id === id);
    const { trace, ...metadata } = mine.metadata;
    assert.deepEqual(metadata, { lang: 'he', priority: 'high', whatsapp_sender: '972500000000@c.us' });
    assert.match(trace, /^[0-9a-f]{32}$/, 'a request sent from the command line starts its own trace');
    assert.notEqual(note.metadata.trace, trace, 'each message sent starts its own');
    assert.equal(mine.content, 'check the server');

    const done = await run(['bridge', 'done', id]);
    assert.equal(done.code, 0);
    assert.equal(done.stdout.trim(), `${id} done`);
    assert.match((await run(['bridge', 'done', id])).stdout, /already done/);
    const unknown = await run(['bridge', 'done', 'kami-0-none']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no bridge message with id "kami-0-none"/);

    const pending = await run(['bridge', 'ls', '--status', 'pending', '--json']);
    assert.ok(!pending.stdout.includes(id));
    const stats = JSON.parse((await run(['bridge', 'stats', '--json'])).stdout);
    assert.equal(stats.byAgent.kami.request.done, 1);
    assert.equal(stats.byAgent.owner.notification.pending, 1);
    const human = await run(['bridge', 'stats']);
    assert.match(human.stdout, /kami +request +0 +1/);
  });

  it('shows hostile text escaped, never as terminal control sequences', async () => {
    await run(['bridge', 'send', '--to', 'claude', 'hi\u001b[2J\u001b]0;pwned\u0007\rhidden']);
    const ls = await run(['bridge', 'ls', '--to', 'claude']);
    assert.ok(!ls.stdout.includes('\u001b'), 'no raw ESC');
    assert.ok(!ls.stdout.includes('\r'), 'no raw CR');
    assert.match(ls.stdout, /hi\\u001b\[2J/);
  });

  it('tail -f in one process shows a message sent from another', async () => {
    const tail = spawnNode([BIN, 'bridge', 'tail', '-f', '-n', '0', '--json', '--to', 'claude'], { cwd: dir });
    const out = lines(tail);
    let err = '';
    tail.stderr!.on('data', (d) => (err += d));
    try {
      await waitFor(() => err.includes('following the jsonl bridge'), 'tail to subscribe');
      const id = (await run(['bridge', 'send', '--to', 'claude', '--from', 'kami', 'ping from another terminal'])).stdout.trim();
      await waitFor(() => out.some((l) => l.includes(id)), 'tail to print the message');
      const shown = JSON.parse(out.find((l) => l.includes(id))!);
      assert.equal(shown.content, 'ping from another terminal');
      await run(['bridge', 'done', id]);
      await waitFor(() => out.some((l) => l.includes(id) && l.includes('"done"')), 'the done record');
    } finally {
      tail.kill('SIGINT');
      const code = await new Promise((r) => tail.once('close', r));
      assert.equal(code, 0, err);
    }
  });

  it('rotates done messages into a monthly archive', async () => {
    const before = JSON.parse((await run(['bridge', 'stats', '--json'])).stdout);
    assert.ok(before.byStatus.done >= 1);
    const r = await run(['bridge', 'rotate', '--days', '0', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.archived, before.byStatus.done);
    assert.match(result.archives[0], /messages-archive-\d{4}-\d{2}\.jsonl$/);
    const live = JSON.parse((await run(['bridge', 'stats', '--json'])).stdout);
    assert.equal(live.byStatus.done, 0);
    const all = JSON.parse((await run(['bridge', 'stats', '--archived', '--json'])).stdout);
    assert.equal(all.total, before.total);
  });
});
