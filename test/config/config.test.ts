import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { collectSecrets, ConfigError, initNetwork, loadConfig, maskSecrets, parseConfig, MASK } from '../../src/config/index.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { parseNetworkConfig } from '../../src/cli/network-config.ts';
import { tempDir } from '../helpers/util.ts';

const MIN = `network: home
agents:
  kami:
    role: relay
    health: { port: 7702 }
`;

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the config to be rejected');
}

describe('config', () => {
  it("init writes the seed's network, which loads as valid with three roles and a prompt each", () => {
    const { dir, cleanup } = tempDir();
    try {
      initNetwork(dir);
      const { config } = loadConfig(join(dir, 'agentnet.yaml'), { env: {} });
      assert.deepEqual(
        Object.values(config.agents).map((a) => [a.name, a.role, a.model.provider]),
        [['claude', 'orchestrator', 'offline'], ['kami', 'relay', 'offline'], ['kaylee', 'autonomous', 'offline']],
      );
      for (const a of Object.values(config.agents)) assert.ok(existsSync(a.prompt), a.prompt);
      assert.equal(config.bridge.path, join(dir, '.agentnet', 'bridge', 'messages.jsonl'));
      assert.equal(config.bridge.rotate.olderThanDays, 30);
      assert.deepEqual(config.agents.kaylee!.schedules.map((s) => s.task), ['monitor', 'rotate-bridge']);
      assert.equal(config.agents.kaylee!.schedules[0]!.cron, '*/5 * * * *', "the seed's five-minute health check");
    } finally {
      cleanup();
    }
  });

  it("writes prompts from the seed's descriptions of each agent", () => {
    const { dir, cleanup } = tempDir();
    try {
      initNetwork(dir);
      const read = (n: string) => readFileSync(join(dir, 'prompts', `${n}.md`), 'utf8');
      const kami = read('kami');
      for (const point of [/concise/i, /acknowledge/i, /escalate/i, /Hebrew/, /English/]) assert.match(kami, point);
      const kaylee = read('kaylee');
      for (const point of [/100%/, /timestamp/i, /if you are unsure, do less/i, /success or failure explicitly/i]) assert.match(kaylee, point);
      const claude = read('claude');
      for (const point of [/Full autonomy/i, /business or strategy/i, /better than you found it/i]) assert.match(claude, point);
    } finally {
      cleanup();
    }
  });

  it('init refuses to overwrite existing files unless forced', () => {
    const { dir, cleanup } = tempDir();
    try {
      initNetwork(dir);
      writeFileSync(join(dir, 'prompts', 'kami.md'), 'my own prompt');
      assert.throws(() => initNetwork(dir), (e) => isAgentnetError(e, 'FILE_EXISTS') && /--force/.test(e.message));
      assert.equal(readFileSync(join(dir, 'prompts', 'kami.md'), 'utf8'), 'my own prompt');
      initNetwork(dir, { force: true, network: 'lab' });
      assert.match(readFileSync(join(dir, 'agentnet.yaml'), 'utf8'), /network: lab/);
    } finally {
      cleanup();
    }
  });

  it('names the file, line, path and expectation of every problem', () => {
    const err = problemsOf(() =>
      parseConfig(
        `network: home
agents:
  kami:
    role: relay
    health: { port: abc }
  kaylee:
    role: autonomus
    health: { port: 7703 }
    tols: []
`,
        'agentnet.yaml',
      ),
    );
    assert.equal(err.code, 'CONFIG_INVALID');
    const byPath = Object.fromEntries(err.problems.map((p) => [p.path, p]));
    assert.deepEqual([byPath['agents.kami.health.port']?.line, byPath['agents.kami.health.port']?.col], [5, 21]);
    assert.match(byPath['agents.kami.health.port']!.message, /expected number, got "abc"/);
    assert.match(byPath['agents.kaylee.role']!.message, /"orchestrator", "relay", "autonomous", got "autonomus"/);
    assert.match(byPath['agents.kaylee']!.message, /unknown key "tols"/);
    assert.match(err.message, /agentnet\.yaml:5:21 +agents\.kami\.health\.port: expected number/);
  });

  it('rejects ports out of range, two agents on one health port, and no agents', () => {
    const range = problemsOf(() => parseConfig(MIN.replace('7702', '70000'), 'a.yaml'));
    assert.match(range.problems[0]!.message, /port from 1 to 65535/);
    const clash = problemsOf(() =>
      parseConfig(MIN + '  kaylee:\n    role: autonomous\n    health: { port: 7702 }\n', 'a.yaml'),
    );
    assert.equal(clash.problems[0]!.path, 'agents.kaylee.health.port');
    assert.match(clash.problems[0]!.message, /already the health port of agent "kami"/);
    const none = problemsOf(() => parseConfig('network: home\nagents: {}\n', 'a.yaml'));
    assert.match(none.problems[0]!.message, /at least one agent/);
  });

  it('checks schedules: cron syntax, time zone, kind, and the deployment or review a task names', () => {
    const kaylee = (schedules: string, extra = '') =>
      MIN + `  kaylee:\n    role: autonomous\n    health: { port: 7703 }\n${extra}    schedules:\n${schedules}`;
    const bad = problemsOf(() =>
      parseConfig(
        kaylee(
          `      - { name: a, cron: "*/5 * * *", task: monitor }
      - { name: b, cron: "0 9 * * *", timezone: Mars/Olympus, task: monitor }
      - { name: c, cron: "0 9 * * *", task: deplyo }
`,
        ),
        'a.yaml',
      ),
    );
    const byPath = Object.fromEntries(bad.problems.map((p) => [p.path, p.message]));
    assert.match(byPath['agents.kaylee.schedules.0.cron']!, /not a cron expression/);
    assert.match(byPath['agents.kaylee.schedules.1.timezone']!, /unknown time zone "Mars\/Olympus"/);
    assert.match(byPath['agents.kaylee.schedules.2.task']!, /monitor/);
    // What a schedule's payload needs is its task kind's rule, which the CLI's loader adds.
    const names = problemsOf(() =>
      parseNetworkConfig(
        kaylee(
          `      - { name: d, cron: "0 3 * * *", task: deploy, payload: { deployment: api } }
      - { name: e, cron: "0 3 * * *", task: prompt }
`,
          '    deployments:\n      web: { command: [./deploy.sh] }\n',
        ),
        'a.yaml',
      ),
    );
    const named = Object.fromEntries(names.problems.map((p) => [p.path, p.message]));
    assert.match(named['agents.kaylee.schedules.0.payload.deployment']!, /one of this agent's deployments: web/);
    assert.match(named['agents.kaylee.schedules.1.payload.prompt']!, /needs payload.prompt/);
    const good = parseConfig(
      kaylee('      - { name: nightly, cron: "0 3 * * *", timezone: Asia/Jerusalem, task: deploy, payload: { deployment: web }, catchUp: true }\n', '    deployments:\n      web: { command: [./deploy.sh], cwd: site }\n'),
      '/srv/net/agentnet.yaml',
    ).config.agents.kaylee!;
    assert.equal(good.deployments.web!.cwd, '/srv/net/site', 'relative to the config file');
    assert.deepEqual([good.deployments.web!.timeoutMs, good.deployments.web!.notify, good.worker.concurrency], [600_000, ['owner'], 1]);
  });

  it('reports YAML syntax errors with their line', () => {
    const err = problemsOf(() => parseConfig('network: home\nagents:\n  kami: [\n', 'bad.yaml'));
    assert.equal(err.code, 'CONFIG_PARSE');
    assert.ok(err.problems[0]!.line! >= 3);
    assert.match(err.message, /YAML syntax error/);
  });

  it('refuses a YAML alias bomb ("billion laughs") as a located parse error', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f'];
    const bomb = levels.map((l, i) => (i === 0 ? `${l}: &${l} [lol, lol, lol, lol, lol, lol, lol, lol, lol]` : `${l}: &${l} [${Array(9).fill(`*${levels[i - 1]}`).join(', ')}]`)).join('\n');
    const err = problemsOf(() => parseConfig(`${MIN}${bomb}\n`, 'bomb.yaml'));
    assert.equal(err.code, 'CONFIG_PARSE');
    assert.equal(err.file, 'bomb.yaml');
    assert.equal(err.problems[0]!.line, 7, 'points at the first alias');
    assert.match(err.message, /^bomb\.yaml is not a valid agentnet config:\n {2}bomb\.yaml:7:\d+ +YAML aliases \(\*a and others\) expand to too many values/);
    assert.match(err.message, /Write the values out, or use fewer nested aliases/);
  });

  it('checks host fields and URLs when the config is checked, not by a failed lookup at start', () => {
    const bad = problemsOf(() =>
      parseConfig(
        `network: home
dashboard: { host: "dash board" }
agents:
  kami:
    role: relay
    health: { host: "not a host!!", port: 7702 }
    channel: { type: whatsapp, idInstance: 1, apiToken: t, apiUrl: "ftp://api.example", receive: webhook, webhook: { host: "-x-", port: 8443, token: 0123456789abcdef } }
  tg:
    role: relay
    health: { host: "127.0.0.1.", port: 7703 }
    channel: { type: telegram, token: t, apiRoot: "https://bad_host.example", receive: webhook, webhook: { host: "a..b", port: 8444, secret: s0123456789abcdef, url: "https://ok.example/tg" } }
`,
        'agentnet.yaml',
      ),
    );
    assert.equal(bad.code, 'CONFIG_INVALID');
    const byPath = Object.fromEntries(bad.problems.map((p) => [p.path, p]));
    assert.deepEqual(Object.keys(byPath).sort(), [
      'agents.kami.channel.apiUrl',
      'agents.kami.channel.webhook.host',
      'agents.kami.health.host',
      'agents.tg.channel.apiRoot',
      'agents.tg.channel.webhook.host',
      'dashboard.host',
    ]);
    assert.match(byPath['agents.kami.health.host']!.message, /an IP address .* or a host name .*, got "not a host!!"/);
    assert.equal(byPath['agents.kami.health.host']!.line, 6);
    assert.match(byPath['agents.kami.channel.apiUrl']!.message, /http:\/\/ or https:\/\/ URL/);
    assert.match(byPath['agents.tg.channel.apiRoot']!.message, /whose host is/);
    // What a server listens on, or a provider is reached at: IP literals and RFC 1123 names.
    const ok = parseConfig(
      MIN.replace('health: { port: 7702 }', 'health: { host: "::1", port: 7702 }') + 'dashboard: { host: agents-1.example.org }\n',
      'ok.yaml',
    ).config;
    assert.equal(ok.agents.kami!.health.host, '::1');
    assert.equal(ok.dashboard.host, 'agents-1.example.org');
    for (const host of ['0.0.0.0', 'localhost', '10.1.2.3', 'fe80::1', 'my-laptop']) {
      assert.equal(parseConfig(MIN.replace('health: { port: 7702 }', `health: { host: "${host}", port: 7702 }`), 'ok.yaml').config.agents.kami!.health.host, host);
    }
  });

  it('substitutes ${ENV} and ${ENV:-default}; a missing variable names its path', () => {
    const text = `network: home
agents:
  kami:
    role: relay
    health: { port: 7702 }
    channel: { type: whatsapp, idInstance: "\${GID}", apiToken: "\${GTOKEN}", apiUrl: "\${GURL:-https://7105.api.greenapi.com}" }
  kaylee:
    role: autonomous
    health: { port: 7703 }
    model: { provider: anthropic, name: claude-sonnet-4-6, apiKey: "\${ANTHROPIC_API_KEY}" }
`;
    const { config, secretPaths } = parseConfig(text, 'a.yaml', { env: { GID: '1101000001', GTOKEN: 'tok-123', ANTHROPIC_API_KEY: 'sk-ant' } });
    const ch = config.agents.kami!.channel;
    assert.ok(ch?.type === 'whatsapp');
    assert.deepEqual([ch.idInstance, ch.apiToken, ch.apiUrl], ['1101000001', 'tok-123', 'https://7105.api.greenapi.com']);
    assert.ok(secretPaths.has('agents.kami.channel.apiToken'));

    const missing = problemsOf(() => parseConfig(text, 'a.yaml', { env: { GID: '1' } }));
    assert.equal(missing.code, 'CONFIG_ENV_MISSING');
    assert.deepEqual(missing.problems.map((p) => p.path), ['agents.kami.channel.apiToken', 'agents.kaylee.model.apiKey']);
    assert.match(missing.message, /GTOKEN is not set/);
    // A machine that runs only kaylee does not need kami's WhatsApp token.
    assert.doesNotThrow(() => parseConfig(text, 'a.yaml', { env: { GID: '1', ANTHROPIC_API_KEY: 'k' }, agents: ['kaylee'] }));
  });

  it('takes a PostgreSQL store as a URL or an object; the bridge follows it unless told otherwise', () => {
    const agents = `agents:\n  claude: { role: orchestrator, health: { port: 7701 } }\n`;
    const short = parseConfig(`network: home\nstore: postgres://agentnet:pw@db.lan:5432/agentnet?sslmode=require\n${agents}`, '/srv/net/agentnet.yaml').config;
    assert.deepEqual([short.store.backend, short.store.url], ['postgres', 'postgres://agentnet:pw@db.lan:5432/agentnet?sslmode=require']);
    assert.deepEqual([short.bridge.backend, short.bridge.url, short.bridge.schema], ['postgres', short.store.url, undefined]);
    // The password never shows in config check's output, and is redacted from logs.
    assert.equal((maskSecrets(short, new Set()) as typeof short).store.url, 'postgres://agentnet:********@db.lan:5432/agentnet?sslmode=require');
    assert.ok(collectSecrets(short, new Set()).includes('pw'));
    const full = parseConfig(`network: home\nstore: { backend: postgres, url: "postgres://db/x", schema: home_net }\nbridge: { backend: jsonl }\n${agents}`, '/srv/net/agentnet.yaml').config;
    assert.deepEqual([full.store.schema, full.bridge.backend, full.bridge.path], ['home_net', 'jsonl', '/srv/net/.agentnet/bridge/messages.jsonl']);
    const local = parseConfig(`network: home\n${agents}`, '/srv/net/agentnet.yaml').config;
    assert.deepEqual([local.store.backend, local.bridge.backend], ['sqlite', 'jsonl']);

    const bad = problemsOf(() => parseConfig(`network: home\nstore: { backend: postgres, schema: Bad-Name }\nbridge: { backend: postgres }\n${agents}`, 'agentnet.yaml'));
    const byPath = Object.fromEntries(bad.problems.map((p) => [p.path, p.message]));
    assert.match(byPath['store.url']!, /needs url: postgres:\/\//);
    assert.match(byPath['store.schema']!, /lower-case letters, digits and "_"/);
    const noUrl = problemsOf(() => parseConfig(`network: home\nbridge: { backend: postgres }\n${agents}`, 'agentnet.yaml'));
    assert.match(noUrl.problems.find((p) => p.path === 'bridge.url')!.message, /a postgres bridge needs url/);
  });

  it('accepts claude-code for the orchestrator only, with its options', () => {
    const { config } = parseConfig(
      `network: home
agents:
  claude:
    role: orchestrator
    health: { port: 7701 }
    model: { provider: claude-code, maxTurns: 20, allowedTools: [Read, "Bash(git log:*)"], cwd: ../repo, sessionIdleHours: 4 }
`,
      '/srv/net/agentnet.yaml',
    );
    assert.deepEqual(config.agents.claude!.model, { provider: 'claude-code', maxTurns: 20, allowedTools: ['Read', 'Bash(git log:*)'], cwd: '../repo', sessionIdleHours: 4 });
    const err = problemsOf(() =>
      parseConfig(`network: home\nagents:\n  kaylee: { role: autonomous, health: { port: 7703 }, model: claude-code }\n`, 'agentnet.yaml'),
    );
    assert.match(err.problems.find((p) => p.path === 'agents.kaylee.model')!.message, /claude-code answers the orchestrator's requests.*use offline, anthropic:<model> or openai:<model>/);
  });

  it('checks channels: a webhook needs its endpoint, only a relay has a channel, owners and defaults', () => {
    const err = problemsOf(() =>
      parseConfig(
        `network: home
agents:
  kami:
    role: relay
    health: { port: 7702 }
    channel: { type: whatsapp, idInstance: 1101, apiToken: tok, receive: webhook }
  claude:
    role: orchestrator
    health: { port: 7701 }
    channel: { type: terminal }
`,
        'agentnet.yaml',
      ),
    );
    const byPath = Object.fromEntries(err.problems.map((p) => [p.path, p.message]));
    assert.match(byPath['agents.kami.channel.webhook']!, /receive: webhook needs webhook: \{ host, port, token \}/);
    assert.match(byPath['agents.claude.channel']!, /only a relay has a chat channel/);
    const { config } = parseConfig(MIN.replace('    role: relay', '    role: relay\n    channel: { type: telegram, token: t, owners: [111, "222"] }'), 'a.yaml');
    const ch = config.agents.kami!.channel!;
    assert.equal(ch.type, 'telegram');
    if (ch.type !== 'telegram') return;
    assert.deepEqual(ch.owners, ['111', '222'], 'numeric ids are kept as text');
    assert.deepEqual([ch.language, ch.pace.perChatMs, ch.pace.perInstanceMs], ['he', 1000, 40]);
    assert.deepEqual(config.agents.kami!.relay, { ackAfterMs: 2000, watchMs: 60_000, confirmMs: 10_000, maxBackoffMs: 60_000 });
  });

  it("checks a channel's health settings: the canary (a duration, or off) and maxSilence, in milliseconds, with their defaults", () => {
    const channel = (extra: string) => MIN.replace('    role: relay', `    role: relay\n    channel: { type: whatsapp, idInstance: 1101, apiToken: tok${extra} }`);
    const ch = (extra: string) => {
      const c = parseConfig(channel(extra), 'a.yaml').config.agents.kami!.channel!;
      assert.ok(c.type === 'whatsapp');
      return [c.canary, c.maxSilence, c.receiveTimeoutS];
    };
    assert.deepEqual(ch(''), [300_000, 1_800_000, 20], 'the canary is on by default, every 5 minutes; 30 minutes of webhook silence');
    assert.deepEqual(ch(', canary: off, maxSilence: 2h'), [0, 7_200_000, 20]);
    assert.deepEqual(ch(', canary: 90s, maxSilence: 600000'), [90_000, 600_000, 20]);
    const tg = parseConfig(MIN.replace('    role: relay', '    role: relay\n    channel: { type: telegram, token: t, receiveTimeoutS: 10 }'), 'a.yaml').config.agents.kami!.channel!;
    assert.ok(tg.type === 'telegram');
    assert.deepEqual([tg.canary, tg.maxSilence, tg.receiveTimeoutS], [300_000, 1_800_000, 10]);
    const err = problemsOf(() => parseConfig(channel(', canary: sometimes, maxSilence: 0'), 'a.yaml'));
    const byPath = Object.fromEntries(err.problems.map((p) => [p.path, p.message]));
    assert.match(byPath['agents.kami.channel.canary']!, /a duration like 30s, 10m, 2h or 1d/);
    assert.match(byPath['agents.kami.channel.maxSilence']!, /a duration like 30s/);
    const terminal = problemsOf(() => parseConfig(MIN.replace('    role: relay', '    role: relay\n    channel: { type: terminal, canary: 5m }'), 'a.yaml'));
    assert.match(terminal.message, /agents\.kami\.channel/, 'the terminal has no provider to ask');
  });

  it('masks secrets: values from the environment and keys that name a secret', () => {
    const text = MIN.replace('    role: relay', '    role: relay\n    channel: { type: telegram, token: "literal-bot-token", owners: ["${OWNER}"] }');
    const loaded = parseConfig(text, 'a.yaml', { env: { OWNER: '12345' } });
    const shown = JSON.stringify(maskSecrets(loaded.config, loaded.secretPaths));
    assert.ok(!shown.includes('literal-bot-token'));
    assert.ok(!shown.includes('12345'));
    assert.ok(shown.includes(MASK));
  });

  it('resolves relative paths against the config file and freezes the result', () => {
    const { config } = parseConfig(MIN + 'bridge: { path: ../shared/messages.jsonl }\nstateDir: state\n', '/srv/net/agentnet.yaml');
    assert.equal(config.bridge.path, '/srv/shared/messages.jsonl');
    assert.equal(config.stateDir, '/srv/net/state');
    assert.equal(config.agents.kami!.prompt, '/srv/net/prompts/kami.md');
    assert.ok(Object.isFrozen(config.agents.kami));
    assert.throws(() => {
      (config as { network: string }).network = 'x';
    });
  });

  it('accepts the model shorthand and tool grants with their allow-lists', () => {
    const text = MIN.replace(
      '    role: relay',
      '    role: relay\n    model: anthropic:claude-sonnet-4-6\n    tools:\n      - bridge_send\n      - { name: run_command, allow: [[git, status]] }',
    );
    const { config } = parseConfig(text, 'a.yaml');
    assert.deepEqual(config.agents.kami!.model, { provider: 'anthropic', name: 'claude-sonnet-4-6' });
    assert.deepEqual(config.agents.kami!.tools, ['bridge_send', { name: 'run_command', allow: [['git', 'status']] }]);
    const empty = problemsOf(() => parseConfig(text.replace('[[git, status]]', '[]'), 'a.yaml'));
    assert.match(empty.problems[0]!.message, /at least one allowed command/);
  });
});
