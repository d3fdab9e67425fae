/** The whole network as a user starts it: `agentnet up` in an empty directory, real processes. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { agentnet, BIN, freePort, lines, spawnNode, tempDir, waitFor } from '../helpers/util.ts';
import type { ChildProcess } from 'node:child_process';

type Health = { status: string; pid: number; paused: boolean };
const health = async (port: number): Promise<Health | undefined> => {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Health;
  } catch {
    return undefined;
  }
};

describe('agentnet up (end to end)', () => {
  let dir: string;
  let cleanup: () => void;
  let up: ChildProcess;
  let out: string[];
  const ports: Record<string, number> = {};
  const run = (args: string[]) => agentnet(args, { cwd: dir });

  before(async () => {
    ({ dir, cleanup } = tempDir('agentnet-up-'));
    // `up` writes the seed network itself; run `init` first only to move it to free ports.
    assert.equal((await run(['init'])).code, 0);
    let yaml = readFileSync(join(dir, 'agentnet.yaml'), 'utf8');
    for (const [name, port] of [['claude', 7701], ['kami', 7702], ['kaylee', 7703]] as const) {
      ports[name] = await freePort();
      yaml = yaml.replace(`port: ${port}`, `port: ${ports[name]}`);
    }
    writeFileSync(join(dir, 'agentnet.yaml'), yaml);
    up = spawnNode([BIN, 'up', '--restart-sec', '0.2'], { cwd: dir });
    out = lines(up);
    await waitFor(() => out.some((l) => l.startsWith('agentnet status for a table')), 'up to report its agents', 30_000);
  });
  after(async () => {
    if (up.exitCode === null) up.kill('SIGKILL');
    cleanup();
  });

  it('brings up the three seed agents, healthy', async () => {
    for (const name of ['claude', 'kami', 'kaylee']) assert.ok(out.some((l) => l.includes(name) && l.includes(' up ')), out.join('\n'));
    const status = await run(['status', '--json']);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    const s = JSON.parse(status.stdout);
    assert.deepEqual(s.agents.map((a: { agent: string; state: string }) => [a.agent, a.state]), [['claude', 'ok'], ['kami', 'ok'], ['kaylee', 'ok']]);
  });

  it('answers a request sent to the orchestrator through the bridge', async () => {
    const id = (await run(['bridge', 'send', '--to', 'claude', '--from', 'kami', 'status'])).stdout.trim();
    let reply: { content: string; from: string } | undefined;
    await waitFor(async () => {
      const ls = await run(['bridge', 'ls', '--type', 'response', '--json']);
      reply = ls.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((m) => m.replyTo === id);
      return reply !== undefined;
    }, 'the response');
    assert.equal(reply!.from, 'claude');
    assert.match(reply!.content, /kami \(relay\): ok/);
    assert.match(reply!.content, /not a language model/);
  });

  it('bridge send --wait prints the answer and leaves nothing pending', async () => {
    const r = await run(['bridge', 'send', '--wait', '--timeout', '60', '--to', 'claude', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kami \(relay\): ok/);
    const s = JSON.parse((await run(['status', '--json'])).stdout);
    assert.deepEqual([s.pending, s.inbox], [0, 0]);
  });

  it('an answer to the owner waits in the inbox, not as pending work, until read', async () => {
    const id = (await run(['bridge', 'send', '--to', 'claude', 'status'])).stdout.trim();
    await waitFor(async () => JSON.parse((await run(['status', '--json'])).stdout).inbox === 1, 'the answer in the inbox');
    const s = JSON.parse((await run(['status', '--json'])).stdout);
    assert.equal(s.pending, 0, 'an answer to a person is no work waiting for an agent');
    assert.match((await run(['status'])).stdout, /0 pending bridge messages, 1 unread answers \(agentnet inbox\)/);
    const inbox = await run(['inbox']);
    assert.equal(inbox.code, 0, inbox.stderr);
    assert.match(inbox.stdout, new RegExp(`claude→owner .*↩${id}`));
    assert.match(inbox.stdout, /kami \(relay\): ok/);
    assert.equal(JSON.parse((await run(['status', '--json'])).stdout).inbox, 0, 'read: marked done');
    assert.match((await run(['inbox'])).stdout, /no unread messages/);
  });

  // --wait 600: it must not wait out a quiet period; the test's own timeout only stops a hang.
  it('chat with piped input exits once every line has its replies, the orchestrator\'s answer included', { timeout: 120_000 }, async () => {
    const r = await agentnet(['chat', 'kami', '--wait', '600'], { cwd: dir, input: 'status\nplease check the backups\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kami: .*kami \(relay\): ok/s, 'the status reply');
    assert.match(r.stdout, /kami: Got it/, "kami's acknowledgement");
    assert.match(r.stdout, /kami: claude received: "please check the backups"/, "claude's answer, delivered by kami");
  });

  it('answers סטטוס in Hebrew, body included', { timeout: 120_000 }, async () => {
    const r = await agentnet(['chat', 'kami'], { cwd: dir, input: 'סטטוס\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kami: home: פועלת\n✅ claude \(orchestrator\): תקין\n.*\nמשימות: \d+ בתור, \d+ רצות, \d+ נכשלו\n$/s);
    assert.doesNotMatch(r.stdout, /running|queued|: ok/);
  });

  it('pause stops all work and resume continues it', async () => {
    assert.equal((await run(['pause', '--reason', 'e2e'])).code, 0);
    await waitFor(async () => (await health(ports.kaylee!))?.status === 'paused', 'kaylee to report paused');
    const id = (await run(['bridge', 'send', '--to', 'kaylee', 'work while paused'])).stdout.trim();
    const table = await run(['status']);
    assert.match(table.stdout, /PAUSED \(e2e\)/);
    assert.match((await run(['bridge', 'ls', '--status', 'pending', '--json'])).stdout, new RegExp(id));
    assert.equal((await run(['resume'])).code, 0);
    await waitFor(async () => !(await run(['bridge', 'ls', '--status', 'pending', '--to', 'kaylee', '--json'])).stdout.includes(id), 'the request to be handled');
  });

  it('heals an agent killed with SIGKILL', async () => {
    const before = (await health(ports.kami!))!.pid;
    process.kill(before, 'SIGKILL');
    await waitFor(async () => {
      const h = await health(ports.kami!);
      return h !== undefined && h.pid !== before;
    }, 'kami to come back with a new pid');
    assert.ok(out.some((l) => /kami killed by SIGKILL/.test(l)), out.join('\n'));
  });

  it('stops every agent gracefully on SIGINT and exits 0', async () => {
    up.kill('SIGINT');
    const code = await new Promise((r) => up.once('close', r));
    assert.equal(code, 0);
    for (const port of Object.values(ports)) assert.equal(await health(port), undefined, `port ${port} closed`);
    const log = readFileSync(join(dir, '.agentnet', 'logs', 'claude.log'), 'utf8');
    assert.match(log, /"event":"stopped"/);
  });
});

describe('agentnet up killed with SIGKILL', () => {
  it('leaves no orphaned agents: they stop when up is gone', async () => {
    const { dir, cleanup } = tempDir('agentnet-up-kill-');
    try {
      const { writeNetwork } = await import('../helpers/util.ts');
      const { ports } = await writeNetwork(dir);
      const up = spawnNode([BIN, 'up'], { cwd: dir });
      const out = lines(up);
      await waitFor(() => out.some((l) => l.startsWith('agentnet status for a table')), 'up to start', 30_000);
      assert.ok((await health(ports.kaylee!))?.status === 'ok');
      up.kill('SIGKILL');
      await waitFor(async () => (await Promise.all(Object.values(ports).map(health))).every((h) => h === undefined), 'every agent to stop');
    } finally {
      cleanup();
    }
  });
});

describe('agentnet up with no config', () => {
  it('writes the seed network first and says so', async () => {
    const { dir, cleanup } = tempDir('agentnet-up0-');
    try {
      // Bad restart value: up writes the config, then refuses before starting anything.
      const r = await agentnet(['up', '--restart-sec', 'soon'], { cwd: dir });
      assert.equal(r.code, 2);
      assert.match(r.stdout, /wrote the seed network/);
      assert.ok(readFileSync(join(dir, 'agentnet.yaml'), 'utf8').includes('kaylee'));
    } finally {
      cleanup();
    }
  });
});

/** A network on free ports without a dashboard, and its `up` pid once it has written it. */
async function quietNetwork(dir: string): Promise<Record<string, number>> {
  const { appendFileSync } = await import('node:fs');
  const { writeNetwork } = await import('../helpers/util.ts');
  const { ports } = await writeNetwork(dir);
  appendFileSync(join(dir, 'agentnet.yaml'), 'dashboard: { enabled: false }\n');
  return ports;
}
const upPid = (dir: string): number | undefined => {
  try {
    return JSON.parse(readFileSync(join(dir, '.agentnet', 'up.pid'), 'utf8')).pid;
  } catch {
    return undefined;
  }
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};
const allDown = async (ports: Record<string, number>) => (await Promise.all(Object.values(ports).map(health))).every((h) => h === undefined);

describe('one agentnet up per state directory', () => {
  it('a second up refuses, naming the first; agentnet down stops the first from another terminal', async () => {
    const { dir, cleanup } = tempDir('agentnet-up-owner-');
    const ports = await quietNetwork(dir);
    const up = spawnNode([BIN, 'up'], { cwd: dir });
    try {
      const out = lines(up);
      await waitFor(() => out.some((l) => l.startsWith('agentnet status for a table')), 'up to start', 30_000);
      const second = await agentnet(['up'], { cwd: dir });
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`network test is already running \\(pid ${up.pid}\\); stop it with agentnet down`));
      assert.equal((await health(ports.kami!))?.status, 'ok', 'the first network still runs');
      const pids = await Promise.all(Object.values(ports).map(async (p) => (await health(p))!.pid));
      const closed = new Promise((r) => up.once('close', r));
      const down = await agentnet(['down'], { cwd: dir });
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stdout, /stopped/);
      assert.equal(await closed, 0);
      assert.ok(await allDown(ports));
      assert.deepEqual(pids.filter(alive), [], 'no agent process left');
      assert.equal(upPid(dir), undefined, 'up.pid removed');
      const again = await agentnet(['down'], { cwd: dir });
      assert.equal(again.code, 0);
      assert.match(again.stdout, /not running/);
    } finally {
      if (up.exitCode === null) up.kill('SIGKILL');
      cleanup();
    }
  });
});

describe('agentnet up started through npx', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`stops with every agent when npx gets ${signal}`, async () => {
      const { spawn } = await import('node:child_process');
      const { ROOT } = await import('../helpers/util.ts');
      const { dir, cleanup } = tempDir('agentnet-npx-');
      const ports = await quietNetwork(dir);
      // As a user runs it in a clone: npm exec → sh -c agentnet → node.
      const npx = spawn('npx', ['agentnet', 'up', '-c', join(dir, 'agentnet.yaml')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const out = lines(npx);
        await waitFor(() => out.some((l) => l.startsWith('agentnet status for a table')), 'up to start through npx', 60_000);
        const pid = upPid(dir)!;
        const pids = await Promise.all(Object.values(ports).map(async (p) => (await health(p))!.pid));
        npx.kill(signal);
        await waitFor(() => !alive(pid) && pids.every((p) => !alive(p)), 'up and its agents to exit', 40_000);
        assert.ok(await allDown(ports));
      } finally {
        if (npx.exitCode === null) npx.kill('SIGKILL');
        const pid = upPid(dir);
        if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
        cleanup();
      }
    });
  }
});

describe('bridge send --wait with nobody to answer', () => {
  it('gives up after --timeout with exit 1 and says where the answer will go', async () => {
    const { dir, cleanup } = tempDir('agentnet-wait-');
    try {
      const { writeNetwork } = await import('../helpers/util.ts');
      await writeNetwork(dir);
      const r = await agentnet(['bridge', 'send', '--wait', '--timeout', '0.5', '--to', 'claude', 'anyone?'], { cwd: dir });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no answer within 0\.5 s to owner-.*; it stays on the bridge, and its answer will wait in agentnet inbox/);
      assert.equal(r.stdout, '');
    } finally {
      cleanup();
    }
  });
});

describe('agentnet chat with the relay not running', () => {
  it('says so at once, with how to start it (exit 1)', async () => {
    const { dir, cleanup } = tempDir('agentnet-chat-down-');
    try {
      assert.equal((await agentnet(['init'], { cwd: dir })).code, 0);
      const r = await agentnet(['chat', 'kami'], { cwd: dir, input: 'status\n' });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /kami is not running .*; start it with agentnet up or agentnet run kami/);
    } finally {
      cleanup();
    }
  });
});
