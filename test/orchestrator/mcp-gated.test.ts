/**
 * approve.tools gates the calls of an MCP session (agent/tools/gated.ts through mcp-server.ts).
 * Real processes first: `agentnet mcp` driven by the official SDK's client over stdio, a relay
 * (kami) on a fake Green API that asks the owner and takes "yes 4821", the CLI's `agentnet
 * approvals`, one SQLite store; writes are counted in the memory's history. Then the edges, in
 * process over the SDK's in-memory transport: still pending, expired, "*", two calls at once, PAUSE.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { argumentsHash } from '../../src/agent/tools/index.ts';
import { pauseNetwork, resumeNetwork } from '../../src/agent/pause.ts';
import { openBridge, type Bridge } from '../../src/bridge/index.ts';
import { bridgeSpec, loadConfig, storeSpec, type ApprovalPolicy, type Config } from '../../src/config/index.ts';
import { createMemoryLogger, type Logger } from '../../src/log/logger.ts';
import { createMcpServer } from '../../src/orchestrator/index.ts';
import { createSqliteStore, openStore, type Approval, type Store } from '../../src/store/index.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

type Result = { content: Array<{ type: string; text: string }>; structuredContent?: any; isError?: boolean };
type CallOptions = { onprogress?: (p: { message?: string }) => void; timeout?: number; resetTimeoutOnProgress?: boolean; signal?: AbortSignal };

const OWNER = '972501234567';
const OWNER_CHAT = `${OWNER}@c.us`;

const call = async (c: Client, name: string, args: Record<string, unknown>, options: CallOptions = {}) => (await c.callTool({ name, arguments: args }, undefined, options)) as Result;
/** memory_set's arguments for one key of the test's namespace. */
const set = (key: string, value: unknown = { v: key }) => ({ namespace: 'gate', key, value });

describe('approve.tools over agentnet mcp (real processes)', () => {
  const t = tempDir('agentnet-mcp-gated-');
  const config = join(t.dir, 'agentnet.yaml');
  let green: FakeGreenApi;
  let kami: ChildProcess;
  let store: Store;
  const clients: Client[] = [];

  /** A new Claude Code session (its own `agentnet mcp` process), or a headless run's server. */
  const session = async (extra: string[] = []) => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '-c', config, ...extra], stderr: 'pipe' });
    const client = new Client({ name: 'claude-code', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return { client, transport };
  };
  /** The gate's approvals of memory_set for `key`, oldest first. */
  const asked = async (key: string) => (await store.approvals.list({ all: true })).filter((a) => a.action.name === 'memory_set' && (a.action.args as { key?: string })?.key === key);
  const askedOnce = async (key: string): Promise<Approval> => {
    await waitFor(async () => (await asked(key)).length > 0, `the owner to be asked about ${key}`);
    const all = await asked(key);
    assert.equal(all.length, 1, `asked once about ${key}`);
    return all[0]!;
  };
  /** How many times gate/<key> was written. */
  const writes = async (key: string) => (await store.memory.history('gate', key)).length;
  const decide = async (verb: 'approve' | 'deny', code: string) => {
    const r = await agentnet(['approvals', verb, code, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    green = await startFakeGreenApi();
    const kamiPort = await freePort();
    writeFileSync(
      config,
      `network: mcp-gated
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    health: { port: ${await freePort()} }
    approve: { tools: [memory_set], ttl: 2m }
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

  it("memory_set waits for the owner's yes on the phone (progress past the client's timeout), then writes once; memory_get asks nothing; the call made again does not write again", async () => {
    const { client } = await session();
    const unasked = await call(client, 'memory_get', { namespace: 'gate', key: 'yes' });
    assert.deepEqual([unasked.isError, unasked.content[0]!.text], [undefined, 'gate/yes is not set']);
    assert.deepEqual(await store.approvals.list({ all: true }), [], 'an ungated tool runs without asking');

    let ticks = 0;
    const writing = call(client, 'memory_set', set('yes'), { onprogress: () => void ticks++, timeout: 2000, resetTimeoutOnProgress: true });
    const a = await askedOnce('yes');
    assert.deepEqual(a.action, { kind: 'tool', name: 'memory_set', args: set('yes') });
    assert.match(a.reason, /^a call from claude's Claude Code session \(agentnet mcp, session [0-9a-f]{8}\)$/);
    assert.match(a.actionKey, new RegExp(`^mcp-session:[0-9a-f-]{36}:memory_set:${argumentsHash(set('yes'))}$`));
    const ask = await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.startsWith('🔐 claude asks for your yes: tool memory_set {"namespace":"gate","key":"yes"'));
    assert.match(ask.message, new RegExp(`Reply "yes ${a.code}" to approve`));
    await waitFor(() => ticks >= 3, 'the call to wait past the 2 s client timeout, in progress');
    assert.equal(await writes('yes'), 0, 'not before the yes');

    green.incoming({ from: OWNER, text: `yes ${a.code}` });
    const r = await writing;
    assert.equal(r.isError, undefined, r.content[0]?.text);
    assert.equal(r.content[0]!.text, `approved by ${OWNER} (approval ${a.code}); it ran:\ngate/yes is now version 1`);
    assert.equal(r.structuredContent.note, `approved by ${OWNER} (approval ${a.code}); it ran: gate/yes is now version 1`);
    assert.deepEqual([r.structuredContent.status, r.structuredContent.approval.id, r.structuredContent.entry.version], ['ran', a.id, 1]);
    assert.deepEqual((await store.memory.get('gate', 'yes'))?.value, { v: 'yes' });
    assert.equal(await writes('yes'), 1, 'written once');

    const again = await call(client, 'memory_set', set('yes'));
    assert.equal(again.isError, undefined);
    assert.match(again.content[0]!.text, new RegExp(`^not run again: approval ${a.code} already ran at \\S+ \\(an approved call runs once\\); what it gave then:\ngate/yes is now version 1$`));
    assert.equal(again.structuredContent.status, 'ran-before');
    assert.equal(await writes('yes'), 1, 'still once');
    assert.equal((await asked('yes')).length, 1, 'not asked again');
    assert.equal(green.sentTo(OWNER_CHAT).filter((m) => m.startsWith('🔐') && m.includes('"key":"yes"')).length, 1, 'one ask on the phone');
  });

  it('denied: nothing is written, and the result says so', async () => {
    const { client } = await session();
    const writing = call(client, 'memory_set', set('no'));
    const a = await askedOnce('no');
    await decide('deny', a.code);
    const r = await writing;
    assert.equal(r.isError, true);
    assert.equal(r.content[0]!.text, `not run: the owner denied it (approval ${a.code}, by terminal via terminal); do not try it again for this request`);
    assert.deepEqual([r.structuredContent.status, r.structuredContent.note, r.structuredContent.approval.decidedBy], ['denied', r.content[0]!.text, 'terminal']);
    assert.equal(await store.memory.get('gate', 'no'), undefined);
    assert.equal(await writes('no'), 0);
  });

  it('a call cancelled mid-wait writes nothing and leaves the approval pending; made again in the session, it finds the same approval and the yes writes once', async () => {
    const { client } = await session();
    const cancel = new AbortController();
    const first = call(client, 'memory_set', set('cancel'), { signal: cancel.signal });
    const a = await askedOnce('cancel');
    cancel.abort();
    await assert.rejects(first);
    assert.equal((await store.approvals.get(a.id))?.status, 'pending', 'still decidable');
    assert.equal(await writes('cancel'), 0);

    let ticks = 0;
    const retry = call(client, 'memory_set', set('cancel'), { onprogress: () => void ticks++ });
    await waitFor(() => ticks >= 1, 'the call made again to wait');
    assert.equal((await askedOnce('cancel')).id, a.id, 'the same approval: asked once');
    await decide('approve', a.code);
    const r = await retry;
    assert.match(r.content[0]!.text, new RegExp(`^approved by terminal \\(approval ${a.code}\\); it ran:\ngate/cancel is now version 1$`));
    assert.equal(await writes('cancel'), 1, 'written once');
  });

  it('the MCP server SIGKILLed while waiting: nothing written, the approval stays pending; another session is another question', async () => {
    const { client, transport } = await session();
    const waiting = call(client, 'memory_set', set('killed')).then(
      () => 'returned',
      (err: Error) => err,
    );
    const a = await askedOnce('killed');
    process.kill(transport.pid!, 'SIGKILL');
    assert.ok((await waiting) instanceof Error, 'the call fails with the connection');
    assert.equal((await store.approvals.get(a.id))?.status, 'pending');
    assert.equal(await writes('killed'), 0);

    // The session is gone: the same call from a new one is keyed by the new session, and asked anew.
    const next = await session();
    const cancel = new AbortController();
    const asking = call(next.client, 'memory_set', set('killed'), { signal: cancel.signal }).catch(() => 'cancelled');
    await waitFor(async () => (await asked('killed')).length === 2, 'the new session to ask');
    cancel.abort();
    assert.equal(await asking, 'cancelled');
    assert.equal((await store.approvals.get(a.id))?.status, 'pending', 'the first still pending');
    assert.equal(await writes('killed'), 0);
  });

  it('a headless run (--serving): asked about the request it answers; the run made again finds the same approval, and the yes writes once', async () => {
    const bridge = await openBridge(bridgeSpec(loadConfig(config, { env: {} }).config, { watch: false }), createMemoryLogger());
    const request = await bridge.append({ from: 'kami', to: 'claude', type: 'request', content: 'remember the release   date' });
    await bridge.close();
    const headless = ['--headless', '--serving', request.id];
    const run = await session(headless);
    const waiting = call(run.client, 'memory_set', set('headless')).catch((err: Error) => err);
    const a = await askedOnce('headless');
    assert.deepEqual([a.reason, a.actionKey], [`request ${request.id} from kami: "remember the release date"`, `${request.id}:memory_set:${argumentsHash(set('headless'))}`]);
    await green.waitForSent((m) => m.chatId === OWNER_CHAT && m.message.includes(`Why: request ${request.id} from kami: "remember the release date"\n`));
    process.kill(run.transport.pid!, 'SIGKILL'); // the run killed (its timeout), to be made again
    assert.ok((await waiting) instanceof Error);

    const again = await session(headless);
    let ticks = 0;
    const retry = call(again.client, 'memory_set', set('headless'), { onprogress: () => void ticks++ });
    await waitFor(() => ticks >= 1, 'the run made again to wait');
    assert.equal((await askedOnce('headless')).id, a.id, 'the same approval: asked once');
    await decide('approve', a.code);
    assert.match((await retry).content[0]!.text, /it ran:\ngate\/headless is now version 1$/);
    assert.equal(await writes('headless'), 1);
  });
});

describe('approve.tools over MCP: the edges (in process)', () => {
  const t = tempDir('agentnet-mcp-gated-');
  let base: Config;
  let bridge: Bridge;
  let store: Store;

  before(async () => {
    const file = join(t.dir, 'agentnet.yaml');
    writeFileSync(file, `network: edges\nagents:\n  claude: { role: orchestrator, health: { port: 1 }, approve: { tools: [memory_set] } }\n  kami: { role: relay, health: { port: 2 } }\n`);
    base = loadConfig(file, { env: {} }).config;
    bridge = await openBridge(bridgeSpec(base, { watch: false }), createMemoryLogger());
    store = await openStore(storeSpec(base), createMemoryLogger());
  });
  after(async () => {
    await bridge?.close();
    await store?.close();
    t.cleanup();
  });

  /** An in-process `agentnet mcp` as claude under `approve`, and a client on it. */
  const connect = async (approve: Partial<ApprovalPolicy>, o: { waitWithoutProgressMs?: number; store?: Store; logger?: Logger } = {}) => {
    const policy = { ...base.agents.claude!.approve!, ...approve };
    const config = { ...base, agents: { ...base.agents, claude: { ...base.agents.claude!, approve: policy } } };
    const server = createMcpServer({ config, bridge, agent: 'claude', holder: 'test', version: '0.0.0', ...o, store: o.store ?? store });
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'edges', version: '1.0.0' });
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    return { client, close: () => server.close() };
  };
  const gateOf = async (key: string) => (await store.approvals.list({ all: true })).filter((a) => (a.action.args as { key?: string } | undefined)?.key === key);
  const writes = async (key: string) => (await store.memory.history('gate', key)).length;
  const approve = (a: Approval) => store.approvals.decide({ id: a.id, decision: 'approve', by: 'terminal', channel: 'terminal' });

  it('a client without a progress token gets "still pending" before its timeout; the call made again waits on the same approval', async () => {
    const { client, close } = await connect({}, { waitWithoutProgressMs: 1200 });
    const started = Date.now();
    const r = await call(client, 'memory_set', set('later'));
    assert.ok(Date.now() - started >= 1200, 'it waited');
    const [a, ...more] = await gateOf('later');
    assert.equal(more.length, 0);
    assert.equal(r.isError, true);
    assert.equal(r.content[0]!.text, `not run yet: approval ${a!.code} still waits for the owner's answer (expires ${a!.expiresAt}); call memory_set again with the same arguments to wait on (it is asked once)`);
    assert.deepEqual([r.structuredContent.status, r.structuredContent.approval.status], ['pending', 'pending']);
    assert.equal(await writes('later'), 0);
    await approve(a!);
    assert.match((await call(client, 'memory_set', set('later'))).content[0]!.text, /^approved by terminal .*it ran:\ngate\/later is now version 1$/);
    assert.equal((await gateOf('later')).length, 1, 'asked once');
    assert.equal(await writes('later'), 1);
    await close();
  });

  it("silence: the call ends when the request expires (the policy's ttl), not run; the same call again is not asked again", async () => {
    const { client, close } = await connect({ ttlMs: 1500 });
    const r = await call(client, 'memory_set', set('silence'), { onprogress: () => {} });
    const [a] = await gateOf('silence');
    assert.equal(Date.parse(a!.expiresAt) - Date.parse(a!.requestedAt), 1500);
    assert.equal(r.isError, true);
    assert.equal(r.content[0]!.text, `not run: approval ${a!.code} expired at ${a!.expiresAt} without the owner's answer`);
    assert.equal(r.structuredContent.status, 'expired');
    assert.equal((await call(client, 'memory_set', set('silence'))).structuredContent.status, 'expired');
    assert.equal((await gateOf('silence')).length, 1);
    assert.equal(await writes('silence'), 0);
    await close();
  });

  it('"*": request_approval and approval_status are never gated, read-only tools run unasked, a tool that acts asks', async () => {
    const { client, close } = await connect({ tools: ['*'] });
    const before = (await store.approvals.list({ all: true })).length;
    const own = await call(client, 'request_approval', { action: 'restart nginx', reason: 'not gated' });
    assert.deepEqual([own.isError, own.structuredContent.status, own.structuredContent.created], [undefined, 'pending', true], own.content[0]!.text);
    assert.equal((await call(client, 'approval_status', { id: own.structuredContent.approval.id })).structuredContent.status, 'pending');
    for (const [name, args] of [['memory_get', { namespace: 'gate', key: 'x' }], ['memory_list', { namespace: 'gate' }], ['task_status', {}], ['bridge_inbox', {}]] as const) {
      assert.equal((await call(client, name, args)).isError, undefined, name);
    }
    assert.equal((await store.approvals.list({ all: true })).length, before + 1, 'only request_approval asked');
    const cancel = new AbortController();
    const sending = call(client, 'bridge_send', { to: 'kami', content: 'hello' }, { signal: cancel.signal }).catch(() => 'cancelled');
    await waitFor(async () => (await store.approvals.list({ all: true })).some((a) => a.action.name === 'bridge_send'), 'bridge_send to ask');
    cancel.abort();
    assert.equal(await sending, 'cancelled');
    assert.deepEqual(await bridge.list({ from: 'claude' }), [], 'not sent');
    await close();
  });

  it('two identical calls at once in one session: asked once, written once; the second is told it ran', async () => {
    // The first run is recorded only once the second call waits for it, or has read the yes twice
    // (the first call's two reads, then the second's two): both would run, but for the gate.
    let approvedReads = 0;
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    const held: Store = {
      ...store,
      approvals: {
        ...store.approvals,
        get: async (id) => {
          const a = await store.approvals.get(id);
          if (a?.status === 'approved' && ++approvedReads >= 4) release();
          return a;
        },
        markRun: async (...args) => (await released, store.approvals.markRun(...args)),
      },
    };
    const logger = { ...createMemoryLogger(), info: (_f: Record<string, unknown>, msg?: string) => void (msg?.startsWith('the same approved tool call is running') && release()) };
    const { client, close } = await connect({}, { store: held, logger });
    const both = [call(client, 'memory_set', set('twice'), { onprogress: () => {} }), call(client, 'memory_set', set('twice'), { onprogress: () => {} })];
    await waitFor(async () => (await gateOf('twice')).length === 1, 'the request');
    await approve((await gateOf('twice'))[0]!);
    const statuses = (await Promise.all(both)).map((r) => r.structuredContent.status).sort();
    assert.deepEqual(statuses, ['ran', 'ran-before']);
    assert.equal((await gateOf('twice')).length, 1, 'asked once');
    assert.equal(await writes('twice'), 1, 'written once');
    await close();
  });

  it('approved while the network is paused: runs only after resume, telling its progress meanwhile', async () => {
    const { client, close } = await connect({});
    pauseNetwork(base.stateDir, { reason: 'test' });
    try {
      const messages: string[] = [];
      const writing = call(client, 'memory_set', set('paused'), { onprogress: (p: { message?: string }) => void messages.push(p.message ?? '') });
      await waitFor(async () => (await gateOf('paused')).length === 1, 'the request');
      const [a] = await gateOf('paused');
      await approve(a!);
      const resuming = `approval ${a!.code} approved; waiting for the network to resume`;
      await waitFor(() => messages.filter((m) => m === resuming).length >= 2, 'the approved call to wait for resume, in progress');
      assert.equal(await writes('paused'), 0, 'paused: not run');
      resumeNetwork(base.stateDir);
      assert.equal((await writing).structuredContent.status, 'ran');
      assert.equal(await writes('paused'), 1);
    } finally {
      resumeNetwork(base.stateDir);
      await close();
    }
  });
});
