/**
 * request_approval and approval_status: the owner's Claude Code asks the owner on the phone before
 * a risky step. Real processes: `agentnet mcp` driven by the official SDK's client over stdio, a
 * relay (kami) on a fake Green API that asks the owner and takes "yes 4821", the CLI's
 * `agentnet approvals`, one SQLite store. Then the waiting itself, in process over the SDK's
 * in-memory transport: a cancelled call and a closed connection end the wait.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { openBridge, type Bridge } from '../../src/bridge/index.ts';
import { bridgeSpec, loadConfig, storeSpec } from '../../src/config/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { grantedTools } from '../../src/agent/tools/index.ts';
import { createMcpServer, headlessMcpTools } from '../../src/orchestrator/index.ts';
import { READ_ONLY_MCP_TOOLS } from '../../src/orchestrator/mcp-tools.ts';
import { createSqliteStore, openStore, type Approval, type Store } from '../../src/store/index.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

type Result = { content: Array<{ type: string; text: string }>; structuredContent?: any; isError?: boolean };

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;

describe('request_approval over MCP, answered on the phone and in the terminal (real processes)', () => {
  const t = tempDir('agentnet-mcp-approvals-');
  const config = join(t.dir, 'agentnet.yaml');
  let green: FakeGreenApi;
  let kami: ChildProcess;
  let store: Store;
  const clients: Client[] = [];

  /** A new Claude Code session: its own `agentnet mcp` process. */
  const session = async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '-c', config], stderr: 'pipe' });
    const client = new Client({ name: 'claude-code', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  };
  const call = async (c: Client, name: string, args: Record<string, unknown>, options: { onprogress?: () => void; timeout?: number; resetTimeoutOnProgress?: boolean } = {}) =>
    (await c.callTool({ name, arguments: args }, undefined, options)) as Result;
  /** The ask on the owner's phone for the request with this reason, and its code. */
  const askFor = async (action: string, reason: string) => {
    const ask = await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.startsWith(`🔐 claude asks for your yes: ${action}\nWhy: ${reason}\n`));
    return /Reply "yes (\d{4})" to approve/.exec(ask.message)![1]!;
  };
  const asks = (reason: string) => green.sentTo(OWNER_CHAT).filter((m) => m.startsWith('🔐') && m.includes(`Why: ${reason}\n`)).length;
  const approvals = async () => (await agentnet(['approvals', 'ls', '--all', '--json', '-c', config], { cwd: t.dir })).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Approval);
  const decide = async (verb: 'approve' | 'deny', code: string) => {
    const r = await agentnet(['approvals', verb, code, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    green = await startFakeGreenApi();
    const kamiPort = await freePort();
    writeFileSync(
      config,
      `network: mcp-approvals
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    health: { port: ${await freePort()} }
    approve: { ttl: 15m }
  kami:
    role: relay
    health: { port: ${kamiPort} }
    channel: { type: whatsapp, apiUrl: "${green.url}", idInstance: "${green.idInstance}", apiToken: "${green.apiToken}", receiveTimeoutS: 5, owners: ["${OWNER}"], language: en, pace: { perChatMs: 0, perInstanceMs: 0 } }
`,
    );
    kami = spawnNode([BIN, 'run', 'kami', '-c', config], { cwd: t.dir });
    kami.stdout!.resume();
    await waitHealthy(kamiPort, 'kami', kami);
    store = createSqliteStore({ path: join(t.dir, '.agentnet', 'store.db') });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (kami) await stopProcess(kami, 'SIGKILL');
    await store?.close();
    await green?.close();
    t.cleanup();
  });

  it("waits for the owner's yes on the phone and returns approved: go ahead", async () => {
    const { client } = await session();
    const asking = call(client, 'request_approval', { kind: 'run_command', action: 'systemctl restart nginx', reason: 'the site is down (yes)', wait_seconds: 45 });
    const code = await askFor('run_command systemctl restart nginx', 'the site is down (yes)');
    green.incoming({ from: OWNER, text: `yes ${code}` });
    const r = await asking;
    assert.equal(r.isError, undefined, r.content[0]?.text);
    const { status, created, approval, note } = r.structuredContent;
    assert.deepEqual([status, created, approval.status, approval.agent, approval.code, approval.decidedBy, approval.channel], ['approved', true, 'approved', 'claude', code, OWNER, 'whatsapp']);
    assert.match(note, new RegExp(`^approval ${code} \\(id ${approval.id}\\) approved by ${OWNER} via whatsapp at \\S+: go ahead with run_command systemctl restart nginx\\.`));
    assert.equal(note, r.content[0]!.text, 'the note is the text');
    assert.equal(Date.parse(approval.expiresAt) - Date.parse(approval.requestedAt), 15 * 60_000, "the agent's approve.ttl");
    await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.startsWith(`✅ Approved (${code})`));
    assert.equal(asks('the site is down (yes)'), 1);
  });

  it('a "no" returns denied: do not do it; the same request again in the session is not asked again, another session asks anew', async () => {
    const a = await session();
    const args = { action: 'drop the staging database', reason: 'free disk space (no)', ttl_seconds: 120 };
    const asking = call(a.client, 'request_approval', { ...args, wait_seconds: 45 });
    const code = await askFor('action drop the staging database', 'free disk space (no)');
    green.incoming({ from: OWNER, text: `no ${code}` });
    const r = await asking;
    assert.equal(r.structuredContent.status, 'denied');
    assert.equal(Date.parse(r.structuredContent.approval.expiresAt) - Date.parse(r.structuredContent.approval.requestedAt), 120_000, 'ttl_seconds');
    assert.match(r.structuredContent.note, new RegExp(`^approval ${code} .* denied by ${OWNER} via whatsapp at \\S+: do not do it \\(action drop the staging database\\)`));

    const again = await call(a.client, 'request_approval', args);
    assert.deepEqual([again.structuredContent.status, again.structuredContent.created, again.structuredContent.approval.id], ['denied', false, r.structuredContent.approval.id]);
    const count = async () => (await approvals()).filter((x) => x.reason === 'free disk space (no)').length;
    assert.equal(await count(), 1, 'not asked again');

    // A new session (no key) is a new request: the owner is asked again.
    const b = await session();
    const fresh = await call(b.client, 'request_approval', args);
    assert.deepEqual([fresh.structuredContent.status, fresh.structuredContent.created], ['pending', true]);
    assert.notEqual(fresh.structuredContent.approval.id, r.structuredContent.approval.id);
    assert.equal(await count(), 2);
    await decide('deny', fresh.structuredContent.approval.code);
  });

  it('returns pending with id and code when the wait runs out; approval_status waits (with progress) and returns the terminal\'s yes', async () => {
    const { client } = await session();
    const started = Date.now();
    const r = await call(client, 'request_approval', { action: 'rotate the API keys', reason: 'scheduled rotation (later)', wait_seconds: 1 });
    assert.ok(Date.now() - started >= 1000, 'it waited');
    const { status, created, approval, note } = r.structuredContent;
    assert.deepEqual([status, created], ['pending', true]);
    assert.match(note, new RegExp(`^asked the owner for approval ${approval.code} \\(id ${approval.id}\\), expires \\S+: do not do it yet\\..*call approval_status with id "${approval.id}" and wait_seconds`));

    const now = await call(client, 'approval_status', { id: approval.id });
    assert.equal(now.structuredContent.status, 'pending');
    assert.match(now.structuredContent.note, /still waits for the owner's answer .*: do not do it yet/);

    // A 2 s client timeout, reset by each progress notification: the call outlives it.
    let ticks = 0;
    const waiting = call(client, 'approval_status', { id: approval.id, wait_seconds: 60 }, { timeout: 2000, resetTimeoutOnProgress: true, onprogress: () => void ticks++ });
    await waitFor(() => ticks >= 4, 'the wait to be past the client timeout, in progress');
    await decide('approve', approval.code);
    const s = await waiting;
    assert.equal(s.isError, undefined, s.content[0]?.text);
    assert.deepEqual([s.structuredContent.status, s.structuredContent.approval.decidedBy, s.structuredContent.approval.channel], ['approved', 'terminal', 'terminal']);
    assert.match(s.structuredContent.note, /approved by terminal via terminal at \S+: go ahead with action rotate the API keys/);
  });

  it('the same key is one approval, from any session; a key reused for another action is refused; no key finds a pending twin', async () => {
    const a = await session();
    const b = await session();
    const args = { kind: 'deploy', action: 'web to production', reason: 'release 1.4 (key)', key: 'release-1.4' };
    const first = await call(a.client, 'request_approval', args);
    assert.equal(first.structuredContent.created, true);
    const id = first.structuredContent.approval.id;
    const [retried, resumed, twin] = await Promise.all([
      call(a.client, 'request_approval', args),
      call(b.client, 'request_approval', args),
      call(b.client, 'request_approval', { kind: 'deploy', action: 'web to production', reason: 'release 1.4 (key)' }),
    ]);
    for (const r of [retried, resumed, twin]) assert.deepEqual([r.structuredContent.approval.id, r.structuredContent.created], [id, false], r.content[0]!.text);

    const conflict = await call(b.client, 'request_approval', { ...args, action: 'api to production' });
    assert.equal(conflict.isError, true);
    assert.match(conflict.content[0]!.text, new RegExp(`key "release-1.4" already names approval ${first.structuredContent.approval.code} for another request \\(deploy web to production; why: release 1.4 \\(key\\)\\): .*use a new key`));
    assert.equal((await approvals()).filter((x) => x.reason === 'release 1.4 (key)').length, 1, 'one approval');
    await askFor('deploy web to production', 'release 1.4 (key)');
    assert.equal(asks('release 1.4 (key)'), 1, 'asked once');

    await decide('approve', first.structuredContent.approval.code);
    const later = await call(b.client, 'request_approval', args);
    assert.deepEqual([later.structuredContent.status, later.structuredContent.approval.id], ['approved', id]);
  });

  it('answers bad input with a tool error naming the field, and stores nothing', async () => {
    const { client } = await session();
    const before = (await approvals()).length;
    const ok = { action: 'x', reason: 'bad input' };
    for (const [name, args, field] of [
      ['request_approval', { ...ok, ttl_seconds: -5 }, / at ttl_seconds$/],
      ['request_approval', { ...ok, ttl_seconds: 10 ** 9 }, / at ttl_seconds$/],
      ['request_approval', { ...ok, wait_seconds: 10 ** 9 }, / at wait_seconds$/],
      ['request_approval', { ...ok, wait_seconds: '10' }, / at wait_seconds$/],
      ['request_approval', { ...ok, wait_seconds: 1.5 }, / at wait_seconds$/],
      ['request_approval', { ...ok, action: 42 }, / at action$/],
      ['request_approval', { ...ok, action: '   ' }, / at action$/],
      ['request_approval', { action: 'x' }, / at reason$/],
      ['request_approval', { ...ok, key: '' }, / at key$/],
      ['request_approval', { ...ok, kind: 'Rm -rf' }, / at kind$/],
      ['request_approval', { ...ok, args: 'y'.repeat(20_000) }, / at args$/],
      ['approval_status', {}, / at id$/],
      ['approval_status', { id: 'approval-nope', wait_seconds: 301 }, / at wait_seconds$/],
      ['approval_status', { id: 'approval-nope' }, /no approval "approval-nope"/],
    ] as const) {
      const r = await call(client, name, args);
      assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}`);
      assert.match(r.content[0]!.text, field, `${name} ${JSON.stringify(args)}`);
    }
    assert.equal((await approvals()).length, before, 'nothing stored');
    assert.equal((await call(client, 'approval_status', { id: (await approvals())[0]!.id })).isError, undefined, 'and it keeps serving');
  });

  it('a pending approval whose time ran out reads as expired (do not do it), before and after the relay marks it', async () => {
    const { client } = await session();
    const { approval } = await store.approvals.request({ agent: 'claude', action: { kind: 'action', name: 'old step' }, reason: 'lapsed', ttlMs: 60_000, actionKey: 'test:lapsed', at: Date.now() - 120_000 });
    const r = await call(client, 'approval_status', { id: approval.id, wait_seconds: 30 });
    assert.deepEqual([r.structuredContent.status, r.structuredContent.approval.status], ['expired', 'pending'], 'expired at once, not after 30 s');
    assert.match(r.structuredContent.note, /expired at \S+ without the owner's answer: do not do it\. If it is still needed, call request_approval again with a new key$/);
    await waitFor(async () => (await store.approvals.get(approval.id))?.status === 'expired', 'the relay to mark it expired');
    assert.equal((await call(client, 'approval_status', { id: approval.id })).structuredContent.status, 'expired');
  });

  it('the MCP server killed mid-wait: the approval stays pending, the owner still decides it, a new session reads the decision', async () => {
    const { client, transport } = await session();
    const asking = call(client, 'request_approval', { action: 'reboot db-1', reason: 'kernel update (killed)', wait_seconds: 50 }).then(
      () => 'returned',
      (err: Error) => err,
    );
    const code = await askFor('action reboot db-1', 'kernel update (killed)');
    process.kill(transport.pid!, 'SIGKILL');
    assert.ok((await asking) instanceof Error, 'the call fails with the connection');
    const [stored] = (await approvals()).filter((a) => a.reason === 'kernel update (killed)');
    assert.equal(stored!.status, 'pending');
    green.incoming({ from: OWNER, text: `yes ${code}` });
    await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.startsWith(`✅ Approved (${code})`));
    const next = await session();
    const r = await call(next.client, 'approval_status', { id: stored!.id });
    assert.deepEqual([r.structuredContent.status, r.structuredContent.approval.decidedBy], ['approved', OWNER]);
  });
});

describe('a waiting approval call ends with its MCP request', () => {
  const t = tempDir('agentnet-mcp-approvals-');
  let bridge: Bridge;
  let store: Store;
  /** Every read of an approval by the tools, by id. */
  const reads: string[] = [];

  before(async () => {
    const file = join(t.dir, 'agentnet.yaml');
    writeFileSync(file, `network: waits\nagents:\n  claude: { role: orchestrator, health: { port: 1 } }\n`);
    const config = loadConfig(file, { env: {} }).config;
    bridge = await openBridge(bridgeSpec(config, { watch: false }), createMemoryLogger());
    store = await openStore(storeSpec(config), createMemoryLogger());
  });
  after(async () => {
    await bridge?.close();
    await store?.close();
    t.cleanup();
  });

  /** An in-process `agentnet mcp` whose store counts the tools' reads, and a client on it. */
  const connect = async () => {
    const counted: Store = { ...store, approvals: { ...store.approvals, get: (id) => (reads.push(id), store.approvals.get(id)) } };
    const server = createMcpServer({ config: loadConfig(join(t.dir, 'agentnet.yaml'), { env: {} }).config, bridge, store: counted, agent: 'claude', holder: 'test', version: '0.0.0' });
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'waits', version: '1.0.0' });
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    return { server, client };
  };
  const pending = async (reason: string) =>
    (await store.approvals.request({ agent: 'claude', action: { kind: 'action', name: 'wait' }, reason, ttlMs: 600_000, actionKey: `test:${reason}` })).approval;
  /** Waits until a watcher call has read its approval `n` more times: the other loops had as long to read theirs. */
  const whileWatching = async (client: Client, n: number) => {
    const watched = await pending(`watcher ${Math.random()}`);
    const ac = new AbortController();
    const watching = client.callTool({ name: 'approval_status', arguments: { id: watched.id, wait_seconds: 60 } }, undefined, { signal: ac.signal }).catch(() => undefined);
    await waitFor(() => reads.filter((r) => r === watched.id).length >= n, 'the watcher to read');
    ac.abort();
    await watching;
  };

  it('a cancelled call stops reading the store, and the server answers the next one', async () => {
    const { client, server } = await connect();
    const a = await pending('cancelled');
    const ac = new AbortController();
    let ticks = 0;
    const waiting = client.callTool({ name: 'approval_status', arguments: { id: a.id, wait_seconds: 60 } }, undefined, { signal: ac.signal, onprogress: () => void ticks++ });
    await waitFor(() => ticks >= 2, 'the call to wait');
    ac.abort();
    await assert.rejects(waiting);
    const readsAtCancel = reads.filter((r) => r === a.id).length;
    await whileWatching(client, 3);
    assert.ok(reads.filter((r) => r === a.id).length <= readsAtCancel + 1, 'at most the read in flight when it was cancelled');
    assert.equal((await store.approvals.get(a.id))?.status, 'pending', 'cancelling the wait decides nothing');
    await server.close();
  });

  it('closing the connection ends the wait', async () => {
    const first = await connect();
    const a = await pending('closed');
    let ticks = 0;
    const waiting = first.client.callTool({ name: 'approval_status', arguments: { id: a.id, wait_seconds: 60 } }, undefined, { onprogress: () => void ticks++ }).catch(() => 'closed');
    await waitFor(() => ticks >= 2, 'the call to wait');
    await first.server.close();
    assert.equal(await waiting, 'closed');
    const readsAtClose = reads.filter((r) => r === a.id).length;
    const second = await connect();
    await whileWatching(second.client, 3);
    assert.ok(reads.filter((r) => r === a.id).length <= readsAtClose + 1, 'no reads after the close');
    await second.server.close();
  });
});

describe('who may ask', () => {
  it('a headless run gets request_approval and approval_status only when its agent is granted request_approval; approval_status is read-only; no model is offered them', async () => {
    const t = tempDir('agentnet-mcp-approvals-');
    try {
      const file = join(t.dir, 'agentnet.yaml');
      writeFileSync(file, `network: grants\nagents:\n  claude: { role: orchestrator, tools: [request_approval], health: { port: 1 } }\n  other: { role: orchestrator, tools: [memory_get], health: { port: 2 } }\n`);
      const config = loadConfig(file, { env: {} }).config;
      assert.deepEqual(headlessMcpTools(config.agents.claude!), ['task_status', 'network_status', 'request_approval', 'approval_status']);
      assert.ok(!headlessMcpTools(config.agents.other!).some((n) => n.includes('approval')), 'not granted: not offered');
      assert.ok(READ_ONLY_MCP_TOOLS.has('approval_status'));
      assert.ok(!READ_ONLY_MCP_TOOLS.has('request_approval'), 'it asks the owner: a run that called it is not run again');
      const logger = createMemoryLogger();
      const bridge = await openBridge(bridgeSpec(config, { watch: false }), logger);
      assert.deepEqual(grantedTools(config.agents.claude!, config, bridge, logger), [], 'the model surface offers nothing for it');
      assert.deepEqual(logger.entries.filter((r) => r.level === 'warn'), [], 'and says nothing misleading about the store');
      await bridge.close();
    } finally {
      t.cleanup();
    }
  });
});
