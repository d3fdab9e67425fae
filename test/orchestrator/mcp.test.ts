/** `agentnet mcp` driven by the official SDK's MCP client over real stdio (a spawned process). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { z } from 'zod';
import { createSqliteStore } from '../../src/store/index.ts';
import { agentnet, BIN, freePort, tempDir, waitFor } from '../helpers/util.ts';

type Result = { content: Array<{ type: string; text: string }>; structuredContent?: any; isError?: boolean };

async function connect(config: string, name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '-c', config], stderr: 'pipe' }));
  return client;
}

describe('agentnet mcp', () => {
  const t = tempDir();
  const config = join(t.dir, 'agentnet.yaml');
  let a: Client;
  let b: Client;
  const call = async (c: Client, name: string, args: Record<string, unknown> = {}) => (await c.callTool({ name, arguments: args })) as Result;
  const send = async (...args: string[]) => {
    const r = await agentnet(['bridge', 'send', '-c', config, '--json', ...args], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { id: string };
  };

  before(async () => {
    writeFileSync(
      config,
      `network: mcp\nagents:\n  claude: { role: orchestrator, health: { port: ${await freePort()} } }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n  kaylee: { role: autonomous, health: { port: ${await freePort()} } }\n`,
    );
    [a, b] = await Promise.all([connect(config, 'session-a'), connect(config, 'session-b')]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    t.cleanup();
  });

  it('lists every tool, each with a description and an input schema', async () => {
    const { tools } = await a.listTools();
    assert.deepEqual(
      tools.map((x) => x.name).sort(),
      ['approval_status', 'bridge_claim', 'bridge_inbox', 'bridge_reply', 'bridge_send', 'memory_get', 'memory_list', 'memory_set', 'network_status', 'request_approval', 'task_enqueue', 'task_status'],
    );
    for (const tool of tools) {
      assert.ok(tool.description && tool.description.length > 30, tool.name);
      assert.equal(tool.inputSchema.type, 'object');
    }
  });

  it('shows pending requests, high priority first, then oldest, with the owner\'s chat', async () => {
    assert.match((await call(a, 'bridge_inbox')).content[0]!.text, /no pending requests for claude/);
    const low = await send('--to', 'claude', '--from', 'kaylee', '--priority', 'low', 'rotate the logs');
    const normal = await send('--to', 'claude', '--from', 'kami', '--sender', '972500000000@c.us', '--context', 'owner is travelling', 'deploy the site');
    const high = await send('--to', 'claude', '--from', 'kami', '--priority', 'high', 'the API is down');
    await send('--to', 'kaylee', 'not for claude');
    const r = await call(a, 'bridge_inbox');
    assert.equal(r.isError, undefined);
    assert.deepEqual(
      r.structuredContent.requests.map((m: { id: string }) => m.id),
      [high.id, normal.id, low.id],
    );
    assert.match(r.content[0]!.text, /3 pending requests for claude/);
    assert.match(r.content[0]!.text, /from: kami \(owner's chat 972500000000@c\.us\)/);
    assert.match(r.content[0]!.text, /context: owner is travelling/);
  });

  it('lets one session claim a request and refuses it to the other; a reply reaches the asker and closes the request', async () => {
    const req = await send('--to', 'claude', '--from', 'kami', '--sender', '972500000001@c.us', 'what is the disk usage?');
    const claimed = await call(a, 'bridge_claim', { id: req.id });
    assert.equal(claimed.isError, undefined, claimed.content[0]!.text);
    assert.match(claimed.content[0]!.text, /claimed .* until/);

    const refused = await call(b, 'bridge_claim', { id: req.id });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0]!.text, /is claimed by mcp:[^ ]+ until .*; leave it to them/);
    const refusedReply = await call(b, 'bridge_reply', { id: req.id, content: 'b answers' });
    assert.equal(refusedReply.isError, true);
    assert.match((await call(b, 'bridge_inbox')).content[0]!.text, /claimed: by mcp:/);

    const reply = await call(a, 'bridge_reply', { id: req.id, content: 'disk is 41% full' });
    assert.equal(reply.isError, undefined, reply.content[0]!.text);
    const response = reply.structuredContent.response;
    assert.equal(response.replyTo, req.id);
    assert.equal(response.to, 'kami');
    assert.equal(response.from, 'claude');
    assert.equal(response.metadata.whatsapp_sender, '972500000001@c.us');

    const ls = await agentnet(['bridge', 'ls', '-c', config, '--json'], { cwd: t.dir });
    const messages = ls.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string; replyTo?: string; content: string });
    assert.equal(messages.find((m) => m.id === req.id)!.status, 'done');
    assert.equal(messages.filter((m) => m.replyTo === req.id).length, 1, 'exactly one answer');

    const again = await call(b, 'bridge_reply', { id: req.id, content: 'late' });
    assert.equal(again.isError, true);
    assert.match(again.content[0]!.text, /already done/);
  });

  it('sends requests and notifications to agents, and refuses unknown ones', async () => {
    const r = await call(a, 'bridge_send', { to: 'kami', content: 'tell the owner: deploy finished', priority: 'high' });
    assert.equal(r.isError, undefined);
    assert.equal(r.structuredContent.message.type, 'notification');
    assert.equal(r.structuredContent.message.metadata.priority, 'high');
    const bad = await call(a, 'bridge_send', { to: 'nobody', content: 'x' });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0]!.text, /no agent "nobody" in the network; agents: claude, kami, kaylee/);
  });

  it('enqueues tasks and follows them', async () => {
    const r = await call(a, 'task_enqueue', { kind: 'prompt', payload: { prompt: 'summarise the logs' }, idempotency_key: 'sum-1' });
    assert.equal(r.isError, undefined, r.content[0]!.text);
    const id = r.structuredContent.task.id as string;
    const again = await call(b, 'task_enqueue', { kind: 'prompt', payload: { prompt: 'summarise the logs' }, idempotency_key: 'sum-1' });
    assert.equal(again.structuredContent.task.id, id, 'the key makes it idempotent');
    const status = await call(a, 'task_status', { id });
    assert.match(status.content[0]!.text, new RegExp(`task ${id}: queued`));
    const all = await call(a, 'task_status', {});
    assert.match(all.content[0]!.text, /^1 queued, 0 running/);
    const shown = await agentnet(['tasks', 'show', id, '-c', config], { cwd: t.dir });
    assert.match(shown.stdout, /"prompt": "summarise the logs"/);
    const unknown = await call(a, 'task_enqueue', { kind: 'rm-rf' });
    assert.equal(unknown.isError, true);
    const missing = await call(a, 'task_status', { id: 'task-nope' });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0]!.text, /no task "task-nope"/);
  });

  it('reads and writes the shared memory, with compare-and-set', async () => {
    const set = await call(a, 'memory_set', { namespace: 'notes', key: 'deploy', value: { last: 'v1.2' } });
    assert.match(set.content[0]!.text, /version 1/);
    const got = await call(b, 'memory_get', { namespace: 'notes', key: 'deploy' });
    assert.deepEqual(JSON.parse(got.content[0]!.text.split('\n').slice(1).join('\n')).value, { last: 'v1.2' });
    const conflict = await call(b, 'memory_set', { namespace: 'notes', key: 'deploy', value: 'x', if_version: 0 });
    assert.equal(conflict.isError, true);
    assert.match(conflict.content[0]!.text, /version 1, not 0/);
    const list = await call(a, 'memory_list', { namespace: 'notes' });
    assert.match(list.content[0]!.text, /deploy = \{"last":"v1\.2"\} \(v1\)/);
    const cli = await agentnet(['memory', 'get', 'notes', 'deploy', '-c', config, '--json'], { cwd: t.dir });
    assert.match(cli.stdout, /"v1\.2"/);
    const absent = await call(a, 'memory_get', { namespace: 'notes', key: 'nothing' });
    assert.match(absent.content[0]!.text, /notes\/nothing is not set/);
  });

  it('reports the network status', async () => {
    const r = await call(a, 'network_status');
    assert.match(r.content[0]!.text, /network mcp: running/);
    assert.match(r.content[0]!.text, /claude \(orchestrator\): down \(not running\)/);
    assert.match(r.content[0]!.text, /tasks: 1 queued/);
  });

  it('answers bad input with a tool error, and keeps serving', async () => {
    for (const [name, args] of [
      ['bridge_claim', {}],
      ['bridge_claim', { id: 'msg-does-not-exist' }],
      ['bridge_reply', { id: '', content: 'x' }],
      ['bridge_send', { to: 'kami', type: 'response', content: 'x' }],
      ['memory_set', { namespace: 'bad space', key: 'k', value: 1 }],
      ['bridge_inbox', { limit: 'ten' }],
    ] as const) {
      const r = await call(a, name, args);
      assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}`);
      assert.ok(r.content[0]!.text.length > 10);
    }
    const fine = await call(a, 'bridge_inbox');
    assert.equal(fine.isError, undefined);
  });

  it("a session's sends and tasks start their own traces; its claim and its reply join the request's", async () => {
    const store = createSqliteStore({ path: join(t.dir, '.agentnet', 'store.db') });
    try {
      const req = (await send('--to', 'claude', '--from', 'kami', 'trace me')) as { id: string; metadata: { trace: string } };
      assert.equal((await call(a, 'bridge_claim', { id: req.id })).isError, undefined);
      assert.equal((await call(a, 'bridge_reply', { id: req.id, content: 'traced' })).isError, undefined);
      const sent = (await call(a, 'bridge_send', { to: 'kaylee', content: 'fyi' })).structuredContent.message as { metadata: { trace: string } };
      assert.match(sent.metadata.trace, /^[0-9a-f]{32}$/);
      assert.notEqual(sent.metadata.trace, req.metadata.trace, 'a message the session starts is its own request');
      const task = (await call(a, 'task_enqueue', { kind: 'monitor' })).structuredContent.task as { id: string };
      await waitFor(async () => (await store.traces.hops(req.metadata.trace)).length === 2 && (await store.traces.traceOf(task.id)) !== undefined, 'the hops recorded');
      const hops = await store.traces.hops(req.metadata.trace);
      // The command line records no hops (it has no store open): the session's claim and reply are the trace so far.
      assert.deepEqual(hops.map((h) => [h.hop, h.agent]), [['claimed', 'mcp:claude'], ['answered', 'claude']]);
      assert.match(String(hops[0]!.detail?.holder), /^mcp:/);
      const enqueued = await store.traces.hops((await store.traces.traceOf(task.id))!);
      assert.deepEqual(enqueued.map((h) => [h.hop, h.agent, h.ref]), [['task-enqueued', 'mcp:claude', task.id]]);
    } finally {
      await store.close();
    }
  });
});

describe('a Claude Code session and the running orchestrator agent', () => {
  it('never both answer a request: the one that claims it first does', async () => {
    const t = tempDir();
    const config = join(t.dir, 'agentnet.yaml');
    const port = await freePort();
    writeFileSync(config, `network: both\nbridge: { pollIntervalMs: 100 }\nagents:\n  claude: { role: orchestrator, health: { port: ${port} } }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n`);
    const { spawnNode, stopProcess, waitHealthy, waitFor } = await import('../helpers/util.ts');
    // Paused, the agent takes nothing: the session gets to claim the first request.
    await agentnet(['pause', '-c', config], { cwd: t.dir });
    const agent = spawnNode([BIN, 'run', 'claude', '-c', config, '--quiet'], { cwd: t.dir });
    const session = await connect(config, 'session');
    try {
      await waitHealthy(port, 'claude');
      const send = async (text: string) => JSON.parse((await agentnet(['bridge', 'send', '--to', 'claude', '--from', 'kami', '-c', config, '--json', text], { cwd: t.dir })).stdout) as { id: string };
      const mine = await send('for the session');
      const claimed = (await session.callTool({ name: 'bridge_claim', arguments: { id: mine.id } })) as Result;
      assert.equal(claimed.isError, undefined, claimed.content[0]!.text);
      await agentnet(['resume', '-c', config], { cwd: t.dir });
      // The agent answers what nobody claimed...
      const theirs = await send('for the agent');
      const responses = async (id: string) => {
        const r = await agentnet(['bridge', 'ls', '--type', 'response', '-c', config, '--json'], { cwd: t.dir });
        return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { replyTo: string; from: string; content: string }).filter((m) => m.replyTo === id);
      };
      await waitFor(async () => (await responses(theirs.id)).length === 1, 'the agent to answer the unclaimed request');
      // ...and left the claimed one alone: the session's claim holds, and its answer is the only one.
      const log = () => readFileSync(join(t.dir, '.agentnet', 'logs', 'claude.log'), 'utf8');
      await waitFor(() => log().includes('claimed by a session'), 'the agent to see the claim');
      assert.deepEqual(await responses(mine.id), []);
      const busy = (await session.callTool({ name: 'bridge_claim', arguments: { id: theirs.id } })) as Result;
      assert.equal(busy.isError, true, 'the agent already answered it');
      const reply = (await session.callTool({ name: 'bridge_reply', arguments: { id: mine.id, content: 'done by the session' } })) as Result;
      assert.equal(reply.isError, undefined, reply.content[0]!.text);
      const answers = await responses(mine.id);
      assert.equal(answers.length, 1);
      assert.equal(answers[0]!.content, 'done by the session');
    } finally {
      await session.close();
      await stopProcess(agent);
      t.cleanup();
    }
  });
});

describe('agentnet mcp --push (Claude Code channels)', () => {
  it('announces each new request to the session as a channel event; without --push, nothing is pushed', async () => {
    const { waitFor } = await import('../helpers/util.ts');
    const t = tempDir();
    const config = join(t.dir, 'agentnet.yaml');
    writeFileSync(config, `network: push\nagents:\n  claude: { role: orchestrator, health: { port: ${await freePort()} } }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n`);
    const channel = z.object({ method: z.literal('notifications/claude/channel'), params: z.object({ content: z.string(), meta: z.record(z.string(), z.string()) }) });
    const open = async (push: boolean) => {
      const client = new Client({ name: push ? 'pushed' : 'plain', version: '1.0.0' });
      const events: Array<z.infer<typeof channel>['params']> = [];
      client.setNotificationHandler(channel, (n) => void events.push(n.params));
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '-c', config, ...(push ? ['--push'] : [])], stderr: 'pipe' }));
      return { client, events };
    };
    const pushed = await open(true);
    const plain = await open(false);
    try {
      assert.deepEqual(pushed.client.getServerCapabilities()?.experimental, { 'claude/channel': {} });
      assert.match(pushed.client.getInstructions() ?? '', /<channel source="agentnet"/);
      assert.equal(plain.client.getServerCapabilities()?.experimental, undefined, 'off by default');
      const send = async (...args: string[]) => JSON.parse((await agentnet(['bridge', 'send', '-c', config, '--json', ...args], { cwd: t.dir })).stdout) as { id: string };
      const req = await send('--to', 'claude', '--from', 'kami', '--sender', '972500000000@c.us', '--priority', 'high', 'the site is down');
      await send('--to', 'kami', '--from', 'claude', 'not a request for claude');
      await waitFor(() => pushed.events.length === 1, 'the channel event');
      const [event] = pushed.events;
      assert.deepEqual(event!.meta, { request_id: req.id, from: 'kami', priority: 'high', chat: '972500000000@c.us' });
      assert.match(event!.content, /content: the site is down/);
      // The event is only a hint: the request waits in the inbox for bridge_claim as any other.
      const inbox = (await pushed.client.callTool({ name: 'bridge_inbox', arguments: {} })) as Result;
      assert.equal(inbox.structuredContent.requests[0].id, req.id);
      // A later request is pushed too; the server without --push stays silent and keeps working.
      await send('--to', 'claude', '--from', 'kami', 'second');
      await waitFor(() => pushed.events.length === 2, 'the second event');
      assert.equal(plain.events.length, 0);
      assert.equal(((await plain.client.callTool({ name: 'bridge_inbox', arguments: {} })) as Result).structuredContent.total, 2);
    } finally {
      await Promise.all([pushed.client.close(), plain.client.close()]);
      t.cleanup();
    }
  });
});
