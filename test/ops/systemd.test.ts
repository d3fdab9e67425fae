import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/index.ts';
import { AGENTNET_BIN } from '../../src/config/bin.ts';
import { systemdUnits } from '../../src/ops/systemd.ts';
import { agentnet, tempDir } from '../helpers/util.ts';

/** `systemd-analyze verify`: exit 0 and not one warning (an unknown or misplaced key is only a warning). */
function verify(files: string[], user = false): void {
  const runtime = tempDir('agentnet-xdg-');
  try {
    const r = spawnSync('systemd-analyze', [...(user ? ['--user'] : []), 'verify', ...files], {
      encoding: 'utf8',
      env: { ...process.env, XDG_RUNTIME_DIR: runtime.dir },
    });
    assert.equal(r.status, 0, `systemd-analyze verify failed:\n${r.stderr}${r.stdout}`);
    assert.equal(r.stderr.trim(), '', `systemd-analyze verify warned:\n${r.stderr}`);
  } finally {
    runtime.cleanup();
  }
}

/** The unit's settings by section: { Unit: { After: [...] }, Service: {...} }. */
function sections(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let current = '';
  for (const line of text.split('\n')) {
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) out[(current = head[1]!)] = {};
    else if (current && /^\w+=/.test(line)) {
      const [k, ...v] = line.split('=');
      (out[current]![k!] ??= []).push(v.join('='));
    }
  }
  return out;
}

const NETWORK = `network: prod
agents:
  claude: { role: orchestrator, model: anthropic:claude-sonnet-4-6, health: { port: 7701 } }
  kami:
    role: relay
    prompt: "prompts/\${KAMI_PROMPT}.md"
    channel: { type: whatsapp, idInstance: "\${GREEN_API_ID_INSTANCE}", apiToken: "\${GREEN_API_TOKEN}", owners: ["972500000000"] }
    health: { port: 7702 }
  kaylee:
    role: autonomous
    deployments:
      web: { command: [./deploy.sh], cwd: site }
    health: { port: 7703 }
`;

describe('agentnet deploy systemd', () => {
  const t = tempDir();
  after(() => t.cleanup());
  const config = join(t.dir, 'agentnet.yaml');
  writeFileSync(config, NETWORK);
  const token = 'gA7s-secret token"$x';

  it('writes one verified unit per agent with restart policy in [Service], and secrets only in 0600 env files', async () => {
    const r = await agentnet(['deploy', 'systemd', '--out', 'units', '-c', config], { cwd: t.dir, env: { GREEN_API_TOKEN: token, GREEN_API_ID_INSTANCE: '1101000001', KAMI_PROMPT: '', ANTHROPIC_API_KEY: '' } });
    assert.equal(r.code, 0, r.stderr);
    const dir = join(t.dir, 'units');
    assert.deepEqual(readdirSync(dir).sort(), ['claude', 'kami', 'kaylee'].flatMap((a) => [`agentnet-prod-${a}.env`, `agentnet-prod-${a}.service`]));
    // Nothing but --out was written next to the config.
    assert.deepEqual(readdirSync(t.dir).sort(), ['agentnet.yaml', 'units']);
    verify(readdirSync(dir).filter((f) => f.endsWith('.service')).map((f) => join(dir, f)));

    const kami = readFileSync(join(dir, 'agentnet-prod-kami.service'), 'utf8');
    const s = sections(kami);
    assert.deepEqual(s.Service!.Restart, ['on-failure']);
    assert.deepEqual(s.Service!.RestartSec, ['10']);
    assert.equal(s.Unit!.Restart, undefined);
    assert.deepEqual(s.Unit!.After, ['network-online.target']);
    assert.deepEqual(s.Service!.StandardOutput, ['journal']);
    assert.deepEqual(s.Service!.User, ['agentnet']);
    assert.deepEqual(s.Service!.NoNewPrivileges, ['yes']);
    assert.deepEqual(s.Service!.ProtectSystem, ['strict']);
    assert.deepEqual(s.Service!.ReadWritePaths, [join(t.dir, '.agentnet')]);
    assert.deepEqual(s.Service!.EnvironmentFile, ['/etc/agentnet/agentnet-prod-kami.env']);
    assert.match(s.Service!.ExecStart![0]!, new RegExp(`^${process.execPath} --max-semi-space-size=1 ${AGENTNET_BIN} run kami --config ${config}$`));
    assert.deepEqual(s.Install!.WantedBy, ['multi-user.target']);
    assert.ok(!kami.includes('gA7s'), 'the token must not be in the unit');

    const envFile = join(dir, 'agentnet-prod-kami.env');
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const env = readFileSync(envFile, 'utf8');
    // Quoted for systemd's parser: the quote and the dollar sign escaped.
    assert.match(env, /^GREEN_API_TOKEN="gA7s-secret token\\"\\\$x"$/m);
    assert.match(env, /^GREEN_API_ID_INSTANCE=1101000001$/m);
    assert.match(env, /^KAMI_PROMPT=$/m);
    assert.match(env, /# used at agents\.kami\.prompt \(not set when generated: fill it in\)/);
    assert.doesNotMatch(env, /ANTHROPIC/, "kami's env file holds only kami's variables");
    assert.match(readFileSync(join(dir, 'agentnet-prod-claude.env'), 'utf8'), /^ANTHROPIC_API_KEY=$/m);
    assert.doesNotMatch(readFileSync(join(dir, 'agentnet-prod-claude.env'), 'utf8'), /GREEN_API/);
    // The deployment's working copy is writable for the autonomous agent only.
    assert.deepEqual(sections(readFileSync(join(dir, 'agentnet-prod-kaylee.service'), 'utf8')).Service!.ReadWritePaths, [`${join(t.dir, '.agentnet')} ${join(t.dir, 'site')}`]);
    assert.match(r.stdout, /fill in, in the \.env files: ANTHROPIC_API_KEY \(claude\), KAMI_PROMPT \(kami\)/);
    assert.match(r.stdout, /sudo systemctl enable --now agentnet-prod-claude\.service agentnet-prod-kami\.service agentnet-prod-kaylee\.service/);
  });

  it('a network under /tmp keeps its own /tmp; one under /home keeps it readable', () => {
    const raw = parse(NETWORK);
    const unit = (file: string) =>
      sections(
        systemdUnits(parseConfig(NETWORK, file, { agents: [], env: { GREEN_API_ID_INSTANCE: '1' } }).config, {
          user: false,
          agents: ['kami'],
          // Installed paths (this checkout may itself live under /tmp).
          node: '/usr/bin/node',
          bin: '/usr/lib/node_modules/agentnet/bin/agentnet.js',
          envDir: '/etc/agentnet',
          serviceUser: 'agentnet',
          env: {},
          rawConfig: raw,
        })[0]!.content,
      ).Service!;
    const srv = unit('/srv/agentnet/agentnet.yaml');
    assert.deepEqual(srv.PrivateTmp, ['yes']);
    assert.deepEqual(srv.ReadWritePaths, ['/srv/agentnet/.agentnet']);
    assert.deepEqual(unit('/tmp/net/agentnet.yaml').PrivateTmp, undefined);
    assert.deepEqual(unit('/home/ann/net/agentnet.yaml').ProtectHome, ['read-only']);
  });

  it('--user units verify under a user manager, without User= or a system sandbox', async () => {
    const r = await agentnet(['deploy', 'systemd', 'kami', '--user', '--out', 'user-units', '-c', config], { cwd: t.dir, env: { HOME: t.dir, GREEN_API_TOKEN: 'x', GREEN_API_ID_INSTANCE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const unit = join(t.dir, 'user-units', 'agentnet-prod-kami.service');
    verify([unit], true);
    const s = sections(readFileSync(unit, 'utf8'));
    assert.equal(s.Service!.User, undefined);
    assert.deepEqual(s.Install!.WantedBy, ['default.target']);
    assert.deepEqual(s.Service!.EnvironmentFile, [join(t.dir, '.config/agentnet/agentnet-prod-kami.env')]);
    assert.match(r.stdout, /systemctl --user enable --now agentnet-prod-kami\.service/);
  });

  it('--install --root copies units and env files into place under the root', async () => {
    const root = join(t.dir, 'root');
    mkdirSync(root);
    const r = await agentnet(['deploy', 'systemd', 'kaylee', '--install', '--root', root, '--out', 'inst', '-c', config], { cwd: t.dir, env: { GREEN_API_ID_INSTANCE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const unit = join(root, 'etc/systemd/system/agentnet-prod-kaylee.service');
    assert.equal(readFileSync(unit, 'utf8'), readFileSync(join(t.dir, 'inst', 'agentnet-prod-kaylee.service'), 'utf8'));
    assert.equal(statSync(join(root, 'etc/agentnet/agentnet-prod-kaylee.env')).mode & 0o777, 0o600);
    assert.match(r.stdout, /sudo systemctl daemon-reload/);
    verify([unit]);
  });

  it('refuses an unknown agent and --root without --install', async () => {
    const a = await agentnet(['deploy', 'systemd', 'nobody', '-c', config], { cwd: t.dir, env: { GREEN_API_ID_INSTANCE: '1' } });
    assert.equal(a.code, 1);
    assert.match(a.stderr, /no agent nobody/);
    const b = await agentnet(['deploy', 'systemd', '--root', '/x', '-c', config], { cwd: t.dir, env: { GREEN_API_ID_INSTANCE: '1' } });
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /--root only applies with --install/);
  });
});

// Keep the helper honest: a Restart= in [Unit] (the seed's mistake) must make verify complain.
describe('systemd-analyze verify as used here', () => {
  it('flags a Restart= placed in [Unit]', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'bad.service');
      writeFileSync(f, `[Unit]\nDescription=x\nRestart=on-failure\n\n[Service]\nExecStart=${execFileSync('which', ['true'], { encoding: 'utf8' }).trim()}\n`);
      assert.throws(() => verify([f]), /Unknown key 'Restart' in section \[Unit\]/);
    } finally {
      t.cleanup();
    }
  });
});
