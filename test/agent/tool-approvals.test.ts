/**
 * A model's tool call under an approval policy (src/agent/tools/gated.ts), on a real SQLite store:
 * asked once per request, tool and arguments; run once when approved; never when denied or
 * expired; the wait ends on abort and a new call finds the same request; paused, an approved call
 * waits for resume. Runs are counted.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { argumentsHash, gatedTool, type Tool, type ToolContext } from '../../src/agent/tools/index.ts';
import { defineTool } from '../../src/agent/tools/tool.ts';
import type { ApprovalPolicy } from '../../src/config/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { createSqliteStore, type Approval, type Store } from '../../src/store/index.ts';
import { tempDir, waitFor } from '../helpers/util.ts';

const policy = (ttlMs = 60_000): ApprovalPolicy => ({ deploy: [], run_command: [['service', 'restart']], http_get: [], tools: ['poke'], tasks: [], ttlMs });

describe('a gated tool call', () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  let runs: string[][];

  /** run_command's shape: argv, refused when it carries an option; each run counted. */
  const command = (): Tool =>
    defineTool(
      'run_command',
      'counts runs',
      z.object({ argv: z.array(z.string()) }),
      async ({ argv }) => {
        runs.push(argv);
        return `exit 0\n${argv.join(' ')}: ok`;
      },
      ({ argv }) => argv.find((a) => a.startsWith('-')) && `option "${argv.find((a) => a.startsWith('-'))}" is not allowed`,
    );
  const gated = (o: { ttlMs?: number; untilResumed?: (s: AbortSignal) => Promise<void> } = {}) =>
    gatedTool(command(), { agent: 'claude', policy: policy(o.ttlMs), approvals: store.approvals, logger: createMemoryLogger(), ...(o.untilResumed ? { untilResumed: o.untilResumed } : {}) });
  const serving = { id: 'kami-1', reason: 'request kami-1 from kami: "restart nginx"' };
  const ctx = (extra: Partial<ToolContext> = {}): ToolContext => ({ serving, ...extra });
  const restart = { argv: ['service', 'restart', 'nginx'] };
  const pending = async (): Promise<Approval> => {
    await waitFor(async () => (await store.approvals.list()).length > 0, 'the request');
    return (await store.approvals.list())[0]!;
  };
  const decide = (a: Approval, decision: 'approve' | 'deny') => store.approvals.decide({ id: a.id, decision, by: 'terminal', channel: 'terminal' });

  beforeEach(() => {
    t = tempDir('agentnet-gated-');
    store = createSqliteStore({ path: join(t.dir, 'store.db') });
    runs = [];
  });
  afterEach(async () => {
    await store.close();
    t.cleanup();
  });

  it('approved: runs once and the model reads the result; the same call again finds it ran and does not run it', async () => {
    const tool = gated();
    const call = tool.run(restart, ctx());
    const a = await pending();
    assert.deepEqual([a.action, a.reason, a.actionKey], [{ kind: 'run_command', name: 'service', args: ['restart', 'nginx'] }, serving.reason, `kami-1:run_command:${argumentsHash(restart)}`]);
    assert.deepEqual(runs, [], 'not before the yes');
    await decide(a, 'approve');
    assert.equal(await call, `approved by terminal (approval ${a.code}); it ran:\nexit 0\nservice restart nginx: ok`);
    assert.deepEqual(runs, [restart.argv]);
    assert.deepEqual((await store.approvals.get(a.id))?.runOutcome, { result: 'exit 0\nservice restart nginx: ok' });
    const again = await tool.run({ argv: ['service', 'restart', 'nginx'] }, ctx());
    assert.match(again, new RegExp(`^not run again: approval ${a.code} already ran at .* \\(an approved call runs once\\); what it gave then:\nexit 0\nservice restart nginx: ok$`));
    assert.deepEqual(runs, [restart.argv], 'once');
    assert.equal((await store.approvals.list({ all: true })).length, 1, 'asked once');
  });

  it('denied: never runs, and the model is told who denied it', async () => {
    const call = gated().run(restart, ctx());
    const a = await pending();
    await decide(a, 'deny');
    await assert.rejects(call, (err: Error) => err.message === `not run: the owner denied it (approval ${a.code}, by terminal via terminal); do not try it again for this request`);
    assert.deepEqual(runs, []);
  });

  it('silence: expires after the ttl, never runs; the same call later is not asked again', async () => {
    const tool = gated({ ttlMs: 300 });
    await assert.rejects(tool.run(restart, ctx()), /^ToolRefusal: not run: approval \d{4} expired at .* without the owner's answer$/);
    await assert.rejects(tool.run(restart, ctx()), /expired/);
    assert.equal((await store.approvals.list({ all: true })).length, 1);
    assert.deepEqual(runs, []);
  });

  it('runs at once what the policy does not name; asks nothing about a call that would be refused, or that serves nothing', async () => {
    const tool = gated();
    assert.match(await tool.run({ argv: ['service', 'status', 'nginx'] }, ctx()), /service status nginx: ok/);
    await assert.rejects(tool.run({ argv: ['service', 'restart', '--all'] }, ctx()), /refused: option "--all" is not allowed/);
    await assert.rejects(tool.run(restart, {}), /needs the owner's approval, and this call serves no request or task to ask for; not run/);
    assert.deepEqual(runs, [['service', 'status', 'nginx']]);
    assert.deepEqual(await store.approvals.list({ all: true }), []);
  });

  it('other arguments or another request are another question; key order is not', async () => {
    assert.equal(argumentsHash({ a: 1, b: [1, { c: 2, d: 3 }] }), argumentsHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.notEqual(argumentsHash(restart), argumentsHash({ argv: ['service', 'restart', 'postgres'] }));
    const stop = new AbortController();
    const tool = gated();
    const calls = [tool.run(restart, ctx({ signal: stop.signal })), tool.run({ argv: ['service', 'restart', 'postgres'] }, ctx({ signal: stop.signal })), tool.run(restart, { serving: { id: 'kami-2', reason: 'r' }, signal: stop.signal })];
    await waitFor(async () => (await store.approvals.list()).length === 3, 'three requests');
    stop.abort();
    for (const c of calls) await assert.rejects(c, { name: 'AbortError' });
  });

  it('stopped while waiting: the call ends; the call made again (after a restart) finds the same request, and the yes runs it once', async () => {
    const stop = new AbortController();
    const first = gated().run(restart, ctx({ signal: stop.signal }));
    const a = await pending();
    stop.abort();
    await assert.rejects(first, { name: 'AbortError' });
    assert.equal((await store.approvals.get(a.id))?.status, 'pending', 'still asked');
    const second = gated().run(restart, ctx());
    await decide(a, 'approve');
    assert.match(await second, /^approved by terminal/);
    assert.deepEqual(runs, [restart.argv]);
    assert.equal((await store.approvals.list({ all: true })).length, 1, 'never asked twice');
  });

  it('a tool named under tools: asks about the call with its arguments', async () => {
    const poke = gatedTool(defineTool('poke', 'counts', z.object({ n: z.number() }), async ({ n }) => (runs.push([String(n)]), `poked ${n}`)), { agent: 'claude', policy: policy(), approvals: store.approvals, logger: createMemoryLogger() });
    const call = poke.run({ n: 7 }, ctx());
    const a = await pending();
    assert.deepEqual(a.action, { kind: 'tool', name: 'poke', args: { n: 7 } });
    await decide(a, 'approve');
    assert.match(await call, /it ran:\npoked 7$/);
    assert.deepEqual(runs, [['7']]);
  });

  it('approved while paused: runs only after resume', async () => {
    let resume = () => {};
    const resumed = new Promise<void>((r) => (resume = r));
    let waitedForResume = 0;
    const call = gated({ untilResumed: () => (waitedForResume++, resumed) }).run(restart, ctx());
    const a = await pending();
    await decide(a, 'approve');
    await waitFor(() => waitedForResume === 1, 'the approved call to wait for resume');
    assert.deepEqual(runs, [], 'paused: not run');
    resume();
    assert.match(await call, /^approved by terminal/);
    assert.deepEqual(runs, [restart.argv]);
  });
});
