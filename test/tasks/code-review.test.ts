/** The code-review task kind: a real git repo, store, bridge and config, with the model on a fake Anthropic server. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createJsonlBridge, type Bridge } from '../../src/bridge/index.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { silentLogger } from '../../src/log/logger.ts';
import { createModel } from '../../src/models/registry.ts';
import { createAlerter } from '../../src/relay/alerts.ts';
import { systemClock } from '../../src/agent/clock.ts';
import { createSqliteStore, type Store } from '../../src/store/index.ts';
import { REVIEW_NAMESPACE } from '../../src/tasks/code-review.ts';
import { TASK_KIND_HANDLERS } from '../../src/tasks/index.ts';
import { TaskFailure, type TaskContext, type TaskOutcome } from '../../src/tasks/kind.ts';
import { sendReport } from '../../src/tasks/report.ts';
import { startFakeAnthropic, type AnthropicReply } from '../fakes/fake-anthropic.ts';
import type { ScriptedServer } from '../fakes/scripted-server.ts';
import { freePort, tempDir } from '../helpers/util.ts';

const kind = TASK_KIND_HANDLERS.get('code-review')!;
const REVIEW_TEXT = 'app.ts:1 — reviewMe is never read. Otherwise no problems found.';

let tmp: ReturnType<typeof tempDir>;
let repo: string;
let fake: ScriptedServer<AnthropicReply>;
let store: Store;
let bridge: Bridge;
let config: Config;

const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
function commit(file: string, content: string, message: string): string {
  writeFileSync(join(repo, file), content);
  git('add', file);
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

/** A TaskContext for kaylee running one freshly enqueued code-review task. */
async function context(payload: Record<string, unknown> = { review: 'app' }): Promise<TaskContext> {
  const agent = config.agents.kaylee!;
  return {
    task: await store.queue.enqueue({ kind: 'code-review', payload }),
    agent,
    config,
    bridge,
    store,
    model: await createModel(agent.model, { agent: 'kaylee', networkStatus: async () => 'ok' }),
    prompt: 'You are kaylee.',
    tools: [],
    logger: silentLogger,
    alerter: createAlerter({ config, agent: 'kaylee', bridge, logger: silentLogger }),
    clock: systemClock,
    signal: new AbortController().signal,
  };
}

/** The user message of the i-th request the fake model received, as text. */
function sentMaterial(i: number): string {
  const content = fake.requests[i]!.body.messages[0].content;
  return typeof content === 'string' ? content : content.map((b: { text?: string }) => b.text ?? '').join('');
}
const addedLines = (material: string) => material.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));

beforeEach(async () => {
  tmp = tempDir('agentnet-review-');
  repo = join(tmp.dir, 'repo');
  mkdirSync(repo);
  mkdirSync(join(tmp.dir, 'plain'));
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git('config', 'user.name', 'Test Author');
  git('config', 'user.email', 'test@example.com');
  git('config', 'commit.gpgsign', 'false');
  fake = await startFakeAnthropic();
  const file = join(tmp.dir, 'agentnet.yaml');
  writeFileSync(
    file,
    `network: test
agents:
  claude: { role: orchestrator, health: { port: ${await freePort()} } }
  kami: { role: relay, health: { port: ${await freePort()} } }
  kaylee:
    role: autonomous
    health: { port: ${await freePort()} }
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: test-key, baseUrl: "${fake.url}", maxRetries: 0 }
    reviews:
      app: { repo: ${JSON.stringify(repo)}, maxDiffBytes: 2000 }
      plain: { repo: plain }
`,
  );
  config = loadConfig(file, { env: {} }).config;
  store = createSqliteStore({ path: join(tmp.dir, 'store.db') });
  bridge = createJsonlBridge({ path: join(tmp.dir, 'bridge', 'messages.jsonl'), watch: false });
});

afterEach(async () => {
  await store.close();
  await bridge.close();
  await fake.close();
  tmp.cleanup();
});

describe('code-review task', () => {
  it('reviews only the last commit the first time, reports the review, and remembers HEAD', async () => {
    commit('README.md', 'FIRST_COMMIT_MARKER\n', 'initial');
    const head = commit('app.ts', 'const reviewMe = 1;\n', 'add app');
    fake.script({ reply: { text: REVIEW_TEXT } });
    const outcome = await kind.run(await context());
    assert.equal(fake.requests.length, 1);
    const material = sentMaterial(0);
    assert.ok(addedLines(material).includes('+const reviewMe = 1;'), material);
    assert.ok(!material.includes('FIRST_COMMIT_MARKER'), material);
    assert.equal(outcome.detail, REVIEW_TEXT);
    assert.match(outcome.summary, /1 commit\(s\)/);
    const memo = await store.memory.get(REVIEW_NAMESPACE, 'app');
    assert.equal((memo?.value as { commit?: string }).commit, head);
  });

  it('does not call the model or report anything when there are no new commits', async () => {
    commit('app.ts', 'const reviewMe = 1;\n', 'add app');
    fake.script({ reply: { text: REVIEW_TEXT } });
    await kind.run(await context());
    const outcome = await kind.run(await context());
    assert.equal(fake.requests.length, 1);
    assert.match(outcome.summary, /no new commits/);
    assert.deepEqual(outcome.notify, []);
  });

  it('reviews every commit since the last reviewed one', async () => {
    commit('app.ts', 'const reviewMe = 1;\n', 'add app');
    fake.script({ reply: { text: REVIEW_TEXT } }, { reply: { text: 'second review' } });
    await kind.run(await context());
    commit('app.ts', 'const reviewMe = 1;\nconst secondLine = 2;\n', 'second');
    const head = commit('app.ts', 'const reviewMe = 1;\nconst secondLine = 2;\nconst thirdLine = 3;\n', 'third');
    const outcome = await kind.run(await context());
    assert.equal(fake.requests.length, 2);
    const added = addedLines(sentMaterial(1));
    assert.ok(added.includes('+const secondLine = 2;'), sentMaterial(1));
    assert.ok(added.includes('+const thirdLine = 3;'), sentMaterial(1));
    assert.ok(!added.includes('+const reviewMe = 1;'), sentMaterial(1));
    assert.match(outcome.summary, /2 commit\(s\)/);
    assert.equal(outcome.detail, 'second review');
    assert.equal(((await store.memory.get(REVIEW_NAMESPACE, 'app'))?.value as { commit?: string }).commit, head);
  });

  it('cuts a diff longer than maxDiffBytes and tells the model', async () => {
    commit('big.txt', `${'a line of a big file\n'.repeat(500)}`, 'big');
    fake.script({ reply: { text: REVIEW_TEXT } });
    await kind.run(await context());
    const material = sentMaterial(0);
    assert.match(material, /\[diff cut: \d+ more bytes not shown\]/);
    assert.ok(material.length < 4000, `material is ${material.length} characters`);
  });

  it('fails without retry on an unknown review or a directory that is not a git repository', async () => {
    const unknown = await kind.run(await context({ review: 'nope' })).then(
      () => assert.fail('expected a TaskFailure'),
      (err: unknown) => err,
    );
    assert.ok(unknown instanceof TaskFailure);
    assert.equal(unknown.retry, false);
    assert.match(unknown.message, /"nope"/);
    assert.match(unknown.message, /reviews: app, plain/);
    await assert.rejects(kind.run(await context({ review: 'plain' })), (err: unknown) => err instanceof TaskFailure && err.retry === false && /git rev-parse/.test(err.message));
    assert.equal(fake.requests.length, 0);
  });

  it('reports a finished review to the orchestrator on the bridge', async () => {
    commit('app.ts', 'const reviewMe = 1;\n', 'add app');
    fake.script({ reply: { text: REVIEW_TEXT } });
    const ctx = await context();
    const outcome: TaskOutcome = await kind.run(ctx);
    const to = await sendReport({ bridge, config, agent: 'kaylee', redact: (s) => s }, kind, { outcome, final: true, task: ctx.task, durationMs: 1234 });
    assert.deepEqual(to, ['claude']);
    const notes = (await bridge.list()).filter((m) => m.type === 'notification');
    assert.equal(notes.length, 1);
    const note = notes[0]!;
    assert.equal(note.from, 'kaylee');
    assert.equal(note.to, 'claude');
    assert.ok(note.content.startsWith('✅ code-review:'), note.content);
    assert.ok(note.content.includes(REVIEW_TEXT), note.content);
    assert.equal((note.metadata as Record<string, unknown>).outcome, 'success');
  });
});
