/**
 * The orchestrator with the real Claude Code CLI (pinned, installed on demand; see
 * test/helpers/real-claude.ts) against a fake Messages API that scripts the model by
 * conversation state. Interactive: an installed project, a pending relayed request, and the
 * README's `claude -p` answering it through the agentnet tools, the response going to the
 * asker. Headless: the orchestrator agent with `model: claude-code` answers, resumes a chat's
 * session, recovers from a lost one, tells the asker about a turn limit or a refused tool, and
 * counts what the CLI reports it cost in /health and on the dashboard.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { answerPending, isMainLoop, lastPrompt, messagesText, plan, startFakeClaudeApi, systemText, toolCalls, toolNames, type FakeClaudeApi, type Scripter } from '../fakes/fake-claude-api.ts';
import { ensureRealClaude, realClaudeEnv, runRealClaude } from '../helpers/real-claude.ts';
import { agentnet, BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

interface Msg {
  id: string;
  from: string;
  to?: string;
  type: string;
  replyTo?: string;
  content: string;
  status: string;
  metadata?: Record<string, unknown>;
}

/** The agentnet CLI in `dir` with its config, failing the test on a non-zero exit. */
const cliIn = (dir: string) => async (...args: string[]) => {
  const r = await agentnet([...args, '-c', join(dir, 'agentnet.yaml')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

const bridgeLs = async (cli: (...a: string[]) => Promise<string>): Promise<Msg[]> =>
  (await cli('bridge', 'ls', '--json')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Msg);

describe('Claude Code (real CLI) in an installed project: claude -p answers through the agentnet tools', () => {
  const t = tempDir();
  const cli = cliIn(t.dir);
  let api: FakeClaudeApi;
  const claude = (args: string[], cwd = t.dir) => runRealClaude(args, { cwd, baseUrl: api.url, home: join(t.dir, 'home') });
  before(async () => {
    await ensureRealClaude();
    api = await startFakeClaudeApi();
    writeFileSync(
      join(t.dir, 'agentnet.yaml'),
      `network: home\nagents:\n  claude: { role: orchestrator, health: { port: ${await freePort()} } }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n`,
    );
    await cli('claude', 'install');
  });
  after(async () => {
    await api?.close();
    t.cleanup();
  });

  it('claude -p "answer the pending requests": the hook lists it, the tools run unprompted, the answer goes to the asker', async () => {
    const id = (JSON.parse(await cli('bridge', 'send', '--to', 'claude', '--from', 'kami', '--sender', '972500000000@c.us', '--json', 'is the site up?')) as Msg).id;
    api.setScript(answerPending('yes, the site is up'));
    const from = api.requests.length;
    const r = await claude(['-p', 'answer the pending requests']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'answered the pending request');

    const seen = api.requests.slice(from).map((q) => q.body);
    assert.match(messagesText(seen[0]), new RegExp(`SessionStart[\\s\\S]*1 pending request for you[\\s\\S]*id ${id}`), "the hook's list reaches the model");
    const calls = toolCalls(seen.at(-1));
    assert.deepEqual(calls.map((c) => c.name), ['ToolSearch', 'mcp__agentnet__bridge_inbox', 'mcp__agentnet__bridge_claim', 'mcp__agentnet__bridge_reply']);
    for (const c of calls) assert.ok(!c.isError, `${c.name} was not refused: ${c.result}`);
    // What the model is handed is the structured result: it carries the words.
    assert.match(calls[2]!.result!, /Answer it with bridge_reply/);
    assert.match(calls[3]!.result!, /the request is done/);

    const all = await bridgeLs(cli);
    const answers = all.filter((m) => m.replyTo === id);
    assert.equal(answers.length, 1);
    assert.equal(answers[0]!.type, 'response');
    assert.equal(answers[0]!.to, 'kami');
    assert.equal(answers[0]!.metadata?.whatsapp_sender, '972500000000@c.us', 'the relay knows which chat it goes to');
    assert.equal(answers[0]!.content, 'yes, the site is up');
    assert.equal(all.find((m) => m.id === id)!.status, 'done');
  });

  it('claude -p --mcp-config .mcp.json --allowedTools mcp__agentnet works from outside the project too', async () => {
    const id = (JSON.parse(await cli('bridge', 'send', '--to', 'claude', '--from', 'kami', '--json', 'and the API?')) as Msg).id;
    api.setScript(answerPending('the API is up too'));
    const elsewhere = join(t.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const r = await claude(['-p', '--mcp-config', join(t.dir, '.mcp.json'), '--allowedTools', 'mcp__agentnet', '--', 'answer the pending requests'], elsewhere);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await bridgeLs(cli)).filter((m) => m.replyTo === id).map((m) => m.content), ['the API is up too']);
  });
});

describe('the orchestrator agent answering headless with the real Claude Code CLI', () => {
  const t = tempDir();
  const cli = cliIn(t.dir);
  const home = join(t.dir, 'home');
  const marker = join(t.dir, 'touched-by-claude');
  let api: FakeClaudeApi;
  let agent: ChildProcess;
  let port: number;

  /** The model: what it does depends on the newest prompt, and on the conversation so far. */
  const script: Scripter = (body) => {
    if (!isMainLoop(body)) return { text: 'side request' };
    const ask = lastPrompt(body);
    if (/loop forever/.test(ask)) return { toolUses: [{ name: 'mcp__agentnet__network_status', input: {} }] };
    if (/touch a file/.test(ask)) return plan({ tool: 'Bash', input: { command: `touch ${marker}` } }, { text: 'touched it' })(body);
    if (/remember this/.test(ask)) return plan({ tool: 'mcp__agentnet__memory_set', input: { namespace: 'notes', key: 'headless', value: 'was here' } }, { text: 'remembered' })(body);
    if (/and again|after the loss/.test(ask)) return { text: messagesText(body).includes('hello there') ? 'resumed: the first message is in this conversation' : 'a new conversation' };
    return { text: 'hi from the real claude' };
  };

  const send = async (text: string, sender = '972500000000@c.us') => (JSON.parse(await cli('bridge', 'send', '--to', 'claude', '--from', 'kami', '--sender', sender, '--json', text)) as Msg).id;
  const answer = async (id: string): Promise<Msg> => {
    let found: Msg | undefined;
    await waitFor(async () => Boolean((found = (await bridgeLs(cli)).find((m) => m.replyTo === id))), `an answer to ${id}`, 60_000);
    return found!;
  };
  const log = () => readFileSync(join(t.dir, '.agentnet', 'logs', 'claude.log'), 'utf8');
  const runs = () =>
    log()
      .split('\n')
      .filter((l) => l.includes('"claude-code run"'))
      .map((l) => JSON.parse(l) as { costUsd?: number; offered?: string[]; tools?: string[]; resumed?: boolean });

  before(async () => {
    const bin = await ensureRealClaude();
    api = await startFakeClaudeApi(script);
    port = await freePort();
    writeFileSync(
      join(t.dir, 'agentnet.yaml'),
      `network: hl
bridge: { pollIntervalMs: 100 }
agents:
  claude:
    role: orchestrator
    health: { port: ${port} }
    model: { provider: claude-code, command: ${bin}, maxTurns: 3, timeoutMs: 120000, allowedTools: ["Bash(echo *)"] }
    tools: [memory_set]
    budget: { costPerDayUsd: 5 }
  kami: { role: relay, health: { port: ${await freePort()} } }
`,
    );
    // The owner also uses this folder interactively: its hook must not reach headless runs.
    await cli('claude', 'install');
    agent = spawnNode([BIN, 'run', 'claude', '-c', join(t.dir, 'agentnet.yaml'), '--quiet'], { cwd: t.dir, env: realClaudeEnv(api.url, home) });
    await waitHealthy(port, 'claude', agent);
  });
  after(async () => {
    if (agent) await stopProcess(agent);
    await api?.close();
    t.cleanup();
  });

  it("answers a relayed request with only the granted tools and without the project's hook, then continues the chat's session", async () => {
    const from = api.requests.length;
    const first = await answer(await send('hello there'));
    assert.equal(first.from, 'claude');
    assert.equal(first.content, 'hi from the real claude');
    assert.equal(first.metadata?.whatsapp_sender, '972500000000@c.us');
    assert.equal(first.metadata?.failed, undefined);
    for (const q of api.requests.slice(from)) {
      assert.doesNotMatch(systemText(q.body) + messagesText(q.body), /SessionStart|pending request/, 'no hook text');
      assert.deepEqual(toolNames(q.body).filter((n) => n !== 'DeferredToolPlaceholder').toSorted(), ['Bash', 'mcp__agentnet__memory_set', 'mcp__agentnet__network_status', 'mcp__agentnet__task_status']);
    }
    assert.deepEqual(runs().at(-1)!.offered!.toSorted(), ['Bash', 'mcp__agentnet__memory_set', 'mcp__agentnet__network_status', 'mcp__agentnet__task_status'], 'the init event agrees');

    const second = await answer(await send('and again'));
    assert.equal(second.content, 'resumed: the first message is in this conversation');
    assert.equal(runs().at(-1)!.resumed, true);
    const other = await answer(await send('and again, from another chat', '972511111111@c.us'));
    assert.equal(other.content, 'a new conversation');
  });

  it('uses a granted network tool', async () => {
    assert.equal((await answer(await send('remember this', '972522222222@c.us'))).content, 'remembered');
    assert.match(await cli('memory', 'get', 'notes', 'headless'), /was here/);
  });

  it('starts a new session when Claude Code lost the one to resume', async () => {
    rmSync(join(home, '.claude', 'projects'), { recursive: true, force: true });
    const res = await answer(await send('after the loss'));
    assert.equal(res.content, 'a new conversation');
    assert.equal(res.metadata?.failed, undefined);
    assert.match(log(), /the session could not be resumed; starting a new one/);
  });

  it('tells the asker when the run reaches its turn limit', async () => {
    const res = await answer(await send('loop forever', '972533333333@c.us'));
    assert.equal(res.metadata?.failed, true);
    assert.match(res.content, /Claude Code stopped at its turn limit \(\d+ turns; model\.maxTurns is 3\)/);
  });

  it('tells the asker when Claude Code refused a tool, and the command did not run', async () => {
    const res = await answer(await send('touch a file', '972544444444@c.us'));
    assert.equal(res.metadata?.failed, true);
    assert.match(res.content, /Claude Code was refused Bash/);
    assert.ok(!existsSync(marker), 'touch was not allowed by Bash(echo *)');
  });

  it('counts what the CLI reported the runs cost in /health and on the dashboard', async () => {
    const reported = runs().reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
    assert.ok(reported > 0, 'the CLI reported a cost');
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { usage: { model: string; costTodayUsd: number; tokensToday: number; costPerDayUsd: number } };
    assert.equal(health.usage.model, 'claude-code');
    assert.ok(Math.abs(health.usage.costTodayUsd - reported) < 1e-9, `the budget counts ${health.usage.costTodayUsd}, the CLI reported ${reported}`);
    assert.ok(health.usage.tokensToday > 0);

    const dashPort = await freePort();
    const dash = spawnNode([BIN, 'dashboard', '--port', String(dashPort), '-c', join(t.dir, 'agentnet.yaml')], { cwd: t.dir });
    try {
      let html = '';
      await waitFor(async () => {
        try {
          html = await (await fetch(`http://127.0.0.1:${dashPort}/`)).text();
          return html.includes('data-agent="claude"');
        } catch {
          return false;
        }
      }, 'the dashboard');
      const shown = `${health.usage.tokensToday.toLocaleString('en')} tokens · $${health.usage.costTodayUsd.toFixed(2)} of $5.00`;
      assert.ok(html.includes(shown), `the dashboard shows "${shown}"`);
    } finally {
      await stopProcess(dash);
    }
  });
});
