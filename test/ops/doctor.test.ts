import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import type { Check } from '../../src/ops/doctor.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sqlite-migrations.ts';
import { startFakeAnthropic } from '../fakes/fake-anthropic.ts';
import { startFakeGreenApi, type FakeGreenApi } from '../fakes/fake-green-api.ts';
import { startFakeTelegram, type FakeTelegram } from '../fakes/fake-telegram.ts';
import { agentnet, freePort, spawnNode, BIN, stopProcess, tempDir, waitHealthy } from '../helpers/util.ts';

type Report = { ok: boolean; checks: Check[] };
const find = (r: Report, check: string) => {
  const c = r.checks.find((x) => x.check === check);
  assert.ok(c, `no check "${check}" in ${r.checks.map((x) => x.check).join(', ')}`);
  return c;
};

describe('agentnet doctor', () => {
  const t = tempDir();
  let green: FakeGreenApi;
  let telegram: FakeTelegram;
  let anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;
  let ports: Record<string, number>;
  const config = join(t.dir, 'agentnet.yaml');

  before(async () => {
    green = await startFakeGreenApi();
    telegram = await startFakeTelegram();
    anthropic = await startFakeAnthropic({ keys: ['sk-ant-good'] });
    ports = { claude: await freePort(), kami: await freePort(), tg: await freePort(), kaylee: await freePort() };
    writeFileSync(
      config,
      `network: clinic
agents:
  claude:
    role: orchestrator
    model: { provider: anthropic, name: claude-sonnet-4-6, baseUrl: "${anthropic.url}", apiKey: "\${ANTHROPIC_KEY}" }
    health: { port: ${ports.claude} }
  kami:
    role: relay
    channel: { type: whatsapp, apiUrl: "${green.url}", idInstance: "${green.idInstance}", apiToken: "\${GREEN_API_TOKEN}", owners: ["972500000000"] }
    health: { port: ${ports.kami} }
  tg:
    role: relay
    channel: { type: telegram, apiRoot: "${telegram.apiRoot}", token: "\${TG_TOKEN}", owners: [42] }
    health: { port: ${ports.tg} }
  kaylee: { role: autonomous, model: { provider: anthropic, name: claude-nonexistent-9, baseUrl: "${anthropic.url}" }, health: { port: ${ports.kaylee} } }
`,
    );
  });
  after(async () => {
    await Promise.all([green.close(), telegram.close(), anthropic.close()]);
    t.cleanup();
  });

  const env = (over: Record<string, string> = {}) => ({
    ANTHROPIC_KEY: 'sk-ant-good',
    ANTHROPIC_API_KEY: 'sk-ant-good',
    GREEN_API_TOKEN: green.apiToken,
    TG_TOKEN: telegram.token,
    ...over,
  });

  it('names a broken config with its line, and the fix', async () => {
    const bad = join(t.dir, 'bad.yaml');
    writeFileSync(bad, 'network: clinic\nagents:\n  kami: { role: relay, health: { port: 70000 } }\n');
    const r = await agentnet(['doctor', '-c', bad], { cwd: t.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL {2}config: .*bad\.yaml is not a valid agentnet config/);
    assert.match(r.stdout, /bad\.yaml:3:\d+ +agents\.kami\.health\.port: expected a port from 1 to 65535/);
    assert.match(r.stdout, /→ edit .*bad\.yaml/);
    const missing = await agentnet(['doctor', '--json'], { cwd: t.dir, env: { AGENTNET_CONFIG: join(t.dir, 'none.yaml') } });
    const report = JSON.parse(missing.stdout) as Report;
    assert.equal(report.ok, false);
    assert.match(find(report, 'config').detail, /no config file at .*none\.yaml/);
    assert.match(find(report, 'config').fix!, /agentnet init/);
  });

  it('names a wrong token, a wrong model, a dead agent and a stale lock, each with its fix', async () => {
    // The bridge lock of a writer that died on this host.
    mkdirSync(join(t.dir, '.agentnet', 'bridge'), { recursive: true });
    writeFileSync(join(t.dir, '.agentnet', 'bridge', 'messages.jsonl'), '');
    writeFileSync(join(t.dir, '.agentnet', 'bridge', 'messages.jsonl.lock'), JSON.stringify({ pid: 999_999_999, host: (await import('node:os')).hostname(), nonce: 'x', purpose: 'append', at: new Date().toISOString() }));
    // claude runs; kami, tg and kaylee do not.
    const claude = spawnNode([BIN, 'run', 'claude', '-c', config, '--quiet'], { env: env() });
    try {
      await waitHealthy(ports.claude!, 'claude', claude);
      const r = await agentnet(['doctor', '--json', '-c', config], { cwd: t.dir, env: env({ GREEN_API_TOKEN: 'wrong-token-0000000000' }) });
      assert.equal(r.code, 1, r.stderr);
      // Once in CI the report was missing (stdout empty, exit 1): say what doctor wrote instead.
      assert.ok(r.stdout.trim().startsWith('{'), `no JSON report; stderr: ${r.stderr}`);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.ok, false);
      assert.equal(find(report, 'config').status, 'ok');
      assert.equal(find(report, 'state directory').status, 'ok');

      const lock = find(report, 'bridge lock');
      assert.equal(lock.status, 'fail');
      assert.match(lock.detail, /stale: holder pid 999999999 on this host is dead/);
      assert.match(lock.fix!, /rm .*messages\.jsonl\.lock/);

      // claude created the store at start.
      assert.match(find(report, 'store').detail, /schema version \d+ \(current\)/);

      assert.equal(find(report, 'model claude (anthropic:claude-sonnet-4-6)').status, 'ok', JSON.stringify(find(report, 'model claude (anthropic:claude-sonnet-4-6)')));
      const model = find(report, 'model kaylee (anthropic:claude-nonexistent-9)');
      assert.equal(model.status, 'fail');
      assert.match(model.detail, /no model "claude-nonexistent-9"/);

      const wa = find(report, 'channel kami (whatsapp)');
      assert.equal(wa.status, 'fail');
      assert.match(wa.detail, /refused the apiToken .* \(HTTP 401\)/);
      assert.match(wa.fix!, /apiTokenInstance/);
      assert.ok(!r.stdout.includes('wrong-token-0000000000'), 'the token is never printed');
      assert.equal(find(report, 'channel tg (telegram)').status, 'ok');

      assert.equal(find(report, 'agent claude').status, 'ok');
      const kami = find(report, 'agent kami');
      assert.equal(kami.status, 'fail');
      assert.match(kami.detail, /not running/);
      assert.match(kami.fix!, /agentnet up kami \(or systemctl start agentnet-clinic-kami\)/);
      assert.equal(find(report, 'clocks').status, 'skip');

      // A refused Anthropic key and a refused Telegram token, in the readable form.
      const text = await agentnet(['doctor', '-c', config], { cwd: t.dir, env: env({ ANTHROPIC_KEY: 'sk-ant-bad', TG_TOKEN: '1:bad' }) });
      assert.equal(text.code, 1);
      assert.match(text.stdout, /FAIL {2}model claude \(anthropic:claude-sonnet-4-6\): the API key was refused \(HTTP 401\)\n {6}→ put a valid key in agents\.claude\.model\.apiKey/);
      assert.match(text.stdout, /FAIL {2}channel tg \(telegram\): Telegram refused the bot token \(401/);
      assert.match(text.stdout, /\n\d+ problems to fix/);
    } finally {
      await stopProcess(claude);
    }
  });

  it('--offline makes no provider calls; exit 0 once everything passes', async () => {
    const one = join(t.dir, 'one');
    mkdirSync(one);
    const port = await freePort();
    const file = join(one, 'agentnet.yaml');
    writeFileSync(file, `network: solo\nagents:\n  claude: { role: orchestrator, model: anthropic:claude-sonnet-4-6, health: { port: ${port} } }\n`);
    const before = anthropic.requests.length;
    const p = spawnNode([BIN, 'run', 'claude', '-c', file, '--quiet'], { env: { ANTHROPIC_API_KEY: 'sk-ant-unused' } });
    try {
      await waitHealthy(port, 'claude');
      const r = await agentnet(['doctor', '--offline', '-c', file], { cwd: one, env: { ANTHROPIC_API_KEY: 'sk-ant-unused' } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /skip {2}model claude \(anthropic:claude-sonnet-4-6\): --offline/);
      assert.match(r.stdout, /ok {4}agent claude: .*ok, up \d+ s/);
      assert.match(r.stdout, /\nall good\n/);
      assert.equal(anthropic.requests.length, before);
    } finally {
      await stopProcess(p);
    }
  });

  it('reports the clock of another host that is off by more than 5 s', async () => {
    const { createServer } = await import('node:http');
    // The agent on the other host: a real /health answer, from a clock 90 s ahead.
    const remote = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', date: new Date(Date.now() + 90_000).toUTCString() });
      res.end(JSON.stringify({ status: 'ok', uptime: 5, lastActivity: null, messagesProcessed: 0, agent: 'far', role: 'autonomous', paused: false, pid: 1 }));
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', () => r()));
    const dir = join(t.dir, 'two');
    mkdirSync(dir);
    const file = join(dir, 'agentnet.yaml');
    writeFileSync(file, `network: two\nagents:\n  far: { role: autonomous, host: elsewhere.example, health: { host: 127.0.0.1, port: ${(remote.address() as { port: number }).port} } }\n`);
    try {
      const r = await agentnet(['doctor', '--json', '-c', file], { cwd: dir });
      const report = JSON.parse(r.stdout) as Report;
      const clock = find(report, 'clock elsewhere.example');
      assert.equal(clock.status, 'fail');
      assert.match(clock.detail, /elsewhere\.example is (89|9\d)\.\d s ahead of this host/);
      assert.match(clock.fix!, /timedatectl set-ntp true/);
      assert.equal(find(report, 'agent far').status, 'ok');
      assert.equal(r.code, 1);
    } finally {
      remote.close();
    }
  });

  it('checks that the claude executable of a claude-code orchestrator is there', async () => {
    const dir = join(t.dir, 'cc');
    mkdirSync(dir);
    const file = join(dir, 'agentnet.yaml');
    const write = (command: string) => writeFileSync(file, `network: cc\nagents:\n  claude: { role: orchestrator, model: { provider: claude-code, command: ${command} }, health: { port: ${1} } }\n`);
    write('./bin/claude');
    const missing = find(JSON.parse((await agentnet(['doctor', '--offline', '--json', '-c', file], { cwd: dir })).stdout) as Report, 'model claude (claude-code)');
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /\.\/bin\/claude is not an executable file/);
    assert.match(missing.fix!, /npm install -g @anthropic-ai\/claude-code.*model\.command/);
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'claude'), '#!/bin/sh\n', { mode: 0o755 });
    const found = find(JSON.parse((await agentnet(['doctor', '--offline', '--json', '-c', file], { cwd: dir })).stdout) as Report, 'model claude (claude-code)');
    assert.equal(found.status, 'ok', found.detail);
  });

  it("warns about what an approve: policy names that gates nothing, not about enforced keys; a warning is not a failure", async () => {
    const dir = join(t.dir, 'approve');
    mkdirSync(dir);
    const file = join(dir, 'agentnet.yaml');
    writeFileSync(
      file,
      `network: ap\nagents:\n  kaylee:\n    role: autonomous\n    health: { port: ${await freePort()} }\n    deployments: { web: { command: [./deploy.sh] } }\n    tools: [{ name: http_get, hosts: [admin.example.com] }]\n    approve: { deploy: [wbe], http_get: [admin.example.com], run_command: [[systemctl, restart]], tasks: [prompt] }\n` +
        // An orchestrator's tools: gate its MCP sessions' calls (enforced: no warning); a misspelled one is named.
        `  claude:\n    role: orchestrator\n    health: { port: ${await freePort()} }\n    approve: { tools: [memory_set, bridge_send, task_enqueue] }\n` +
        `  claudia:\n    role: orchestrator\n    health: { port: ${await freePort()} }\n    approve: { tools: [memroy_set] }\n`,
    );
    const run = await agentnet(['doctor', '--offline', '--json', '-c', file], { cwd: dir });
    const report = JSON.parse(run.stdout) as Report;
    const gaps = report.checks.filter((c) => c.check === 'approvals kaylee');
    assert.deepEqual(gaps.map((c) => c.status), ['warn', 'warn']);
    assert.match(gaps[0]!.detail, /approve\.run_command gates nothing: kaylee is not granted run_command/);
    assert.match(gaps[1]!.detail, /approve\.deploy names "wbe", not among its deployments \(web\)/);
    assert.match(gaps[0]!.fix!, /agents\.kaylee\.approve/);
    assert.doesNotMatch(run.stdout, /not enforced/, 'http_get, run_command and tasks are enforced: no warning says otherwise');
    assert.deepEqual(report.checks.filter((c) => c.check === 'approvals claude'), [], "tools: on an orchestrator gates its MCP calls: nothing to warn about");
    assert.doesNotMatch(run.stdout, /not asked yet/);
    const [typo, ...more] = report.checks.filter((c) => c.check === 'approvals claudia');
    assert.equal(more.length, 0);
    assert.match(typo!.detail, /approve\.tools names "memroy_set", not among its own tools or those agentnet mcp serves as claudia/);
  });

  it('checks a PostgreSQL store: reachable, and the versions of its tables', async (ctx) => {
    const { PG_URL, pgSkipReason, freshSchema, dropSchema } = await import('../helpers/pg.ts');
    const skip = await pgSkipReason();
    if (skip) return ctx.skip(skip);
    const dir = join(t.dir, 'pg');
    mkdirSync(dir);
    const file = join(dir, 'agentnet.yaml');
    const schema = freshSchema('doctor');
    const write = (url: string) => writeFileSync(file, `network: pg\nstore: { backend: postgres, url: "${url}", schema: ${schema} }\nagents:\n  claude: { role: orchestrator, health: { port: 1 } }\n`);
    const pgCheck = async () => find(JSON.parse((await agentnet(['doctor', '--offline', '--json', '-c', file], { cwd: dir })).stdout) as Report, 'postgres');
    try {
      write(PG_URL);
      assert.match((await pgCheck()).detail, /reachable; no tables yet/);
      const { openStore } = await import('../../src/store/index.ts');
      await (await openStore({ backend: 'postgres', url: PG_URL, schema })).close();
      const ok = await pgCheck();
      assert.equal(ok.status, 'ok');
      assert.match(ok.detail, /store tables at version \d+/);
      write('postgres://agentnet:hunter2@127.0.0.1:1/none');
      const down = await pgCheck();
      assert.equal(down.status, 'fail');
      assert.doesNotMatch(JSON.stringify(down), /hunter2/);
      assert.match(down.fix!, /start PostgreSQL/);
    } finally {
      await dropSchema(schema);
    }
  });

  it('names a store whose migrations are pending', async () => {
    const dir = join(t.dir, 'old');
    mkdirSync(join(dir, '.agentnet'), { recursive: true });
    const file = join(dir, 'agentnet.yaml');
    writeFileSync(file, `network: old\nagents:\n  claude: { role: orchestrator, health: { port: ${await freePort()} } }\n`);
    // A store as the first release left it: migration 1 only.
    const db = new DatabaseSync(join(dir, '.agentnet', 'store.db'));
    db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL); ${MIGRATIONS[0]!.sql}; INSERT INTO schema_migrations VALUES (1, 0);`);
    db.close();
    const r = await agentnet(['doctor', '--offline', '--json', '-c', file], { cwd: dir });
    const store = find(JSON.parse(r.stdout) as Report, 'store');
    assert.equal(store.status, 'fail');
    assert.match(store.detail, new RegExp(`schema version 1, ${SCHEMA_VERSION - 1} migrations pending`));
    assert.match(store.fix!, /migrations are applied when the store opens/);
  });
});
