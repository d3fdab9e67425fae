/** `agentnet claude install / uninstall / session-start` on real project folders. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/pg.ts';
import { agentnet, freePort, tempDir } from '../helpers/util.ts';

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as any;

describe('agentnet claude', () => {
  const t = tempDir();
  const config = join(t.dir, 'net', 'agentnet.yaml');
  before(async () => {
    mkdirSync(join(t.dir, 'net'));
    writeFileSync(config, `network: home\nagents:\n  claude: { role: orchestrator, health: { port: ${await freePort()} } }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n`);
  });
  after(() => t.cleanup());

  it('installs into an empty project: the MCP server, the SessionStart hook, and nothing else', async () => {
    const project = join(t.dir, 'empty');
    mkdirSync(project);
    const r = await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    const mcp = readJson(join(project, '.mcp.json'));
    assert.deepEqual(Object.keys(mcp.mcpServers), ['agentnet']);
    assert.equal(mcp.mcpServers.agentnet.type, 'stdio');
    assert.deepEqual(mcp.mcpServers.agentnet.args.slice(1), ['mcp', '--config', config]);
    const settings = readJson(join(project, '.claude', 'settings.local.json'));
    assert.deepEqual(settings.enabledMcpjsonServers, ['agentnet']);
    assert.deepEqual(settings.permissions, { allow: ['mcp__agentnet'] }, "the agentnet tools run without a prompt");
    assert.equal(settings.hooks.SessionStart.length, 1);
    assert.equal(settings.hooks.SessionStart[0].matcher, 'startup|resume|clear|compact');
    const hook = settings.hooks.SessionStart[0].hooks[0];
    assert.equal(hook.type, 'command');
    assert.match(hook.command, / claude session-start --bridge .*messages\.jsonl --as claude --default --store .*store\.db --network home$/);
    assert.ok(!existsSync(join(project, '.claude', 'settings.json')), 'the shared settings are untouched');

    // The hook command, run by a shell as Claude Code does: no requests yet.
    assert.equal(execFileSync('sh', ['-c', hook.command], { encoding: 'utf8' }), 'claude (agentnet network home): no pending requests.\n');

    // Twice is the same as once.
    const again = await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    assert.match(again.stdout, /already installed; nothing changed/);

    const u = await agentnet(['claude', 'uninstall', '--project', project], { cwd: t.dir });
    assert.equal(u.code, 0, u.stderr);
    assert.ok(!existsSync(join(project, '.mcp.json')));
    assert.ok(!existsSync(join(project, '.claude', 'settings.local.json')));
  });

  it('install --push registers the server with --push (channel events), and running it again without drops it', async () => {
    const project = join(t.dir, 'pushed');
    mkdirSync(project);
    const r = await agentnet(['claude', 'install', '--push', '--project', project, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--dangerously-load-development-channels server:agentnet/);
    assert.deepEqual(readJson(join(project, '.mcp.json')).mcpServers.agentnet.args.slice(1), ['mcp', '--config', config, '--push']);
    await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    assert.deepEqual(readJson(join(project, '.mcp.json')).mcpServers.agentnet.args.slice(1), ['mcp', '--config', config]);
  });

  it('merges with existing settings, hooks and MCP servers, and uninstall restores them exactly', async () => {
    const project = join(t.dir, 'busy');
    mkdirSync(join(project, '.claude'), { recursive: true });
    const mcpBefore = { mcpServers: { github: { type: 'stdio', command: 'npx', args: ['-y', 'github-mcp'] } } };
    const settingsBefore = {
      permissions: { allow: ['Bash(npm test)'] },
      enabledMcpjsonServers: ['github'],
      hooks: {
        SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'echo welcome' }] }],
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './check.sh' }] }],
      },
    };
    writeFileSync(join(project, '.mcp.json'), JSON.stringify(mcpBefore, null, 2));
    writeFileSync(join(project, '.claude', 'settings.local.json'), JSON.stringify(settingsBefore, null, 2));

    const r = await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    const mcp = readJson(join(project, '.mcp.json'));
    assert.deepEqual(mcp.mcpServers.github, mcpBefore.mcpServers.github);
    assert.ok(mcp.mcpServers.agentnet);
    const s = readJson(join(project, '.claude', 'settings.local.json'));
    assert.deepEqual(s.permissions, { allow: ['Bash(npm test)', 'mcp__agentnet'] });
    assert.deepEqual(s.enabledMcpjsonServers, ['github', 'agentnet']);
    assert.deepEqual(s.hooks.PreToolUse, settingsBefore.hooks.PreToolUse);
    assert.equal(s.hooks.SessionStart.length, 2);
    assert.deepEqual(s.hooks.SessionStart[0], settingsBefore.hooks.SessionStart[0]);

    await agentnet(['claude', 'uninstall', '--project', project], { cwd: t.dir });
    assert.deepEqual(readJson(join(project, '.mcp.json')), mcpBefore);
    assert.deepEqual(readJson(join(project, '.claude', 'settings.local.json')), settingsBefore);
  });

  it('refuses to clobber a foreign "agentnet" server or broken JSON, changing nothing', async () => {
    const project = join(t.dir, 'foreign');
    mkdirSync(join(project, '.claude'), { recursive: true });
    const foreign = JSON.stringify({ mcpServers: { agentnet: { command: 'python', args: ['my_agentnet.py'] } } });
    writeFileSync(join(project, '.mcp.json'), foreign);
    const r = await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already has an MCP server named "agentnet" that agentnet did not write; rename it, or pass --force/);
    assert.equal(readFileSync(join(project, '.mcp.json'), 'utf8'), foreign);
    assert.ok(!existsSync(join(project, '.claude', 'settings.local.json')));

    writeFileSync(join(project, '.mcp.json'), '{}');
    writeFileSync(join(project, '.claude', 'settings.local.json'), '{ "hooks": ');
    const broken = await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /settings\.local\.json is not valid JSON .*fix it by hand/);
    assert.equal(readFileSync(join(project, '.mcp.json'), 'utf8'), '{}', 'nothing was written');
  });

  it('the session-start hook lists pending requests most urgent first, shows claims, and fails open', async () => {
    const project = join(t.dir, 'live');
    mkdirSync(project);
    await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    const hook = readJson(join(project, '.claude', 'settings.local.json')).hooks.SessionStart[0].hooks[0].command as string;
    const send = async (...args: string[]) => JSON.parse((await agentnet(['bridge', 'send', '-c', config, '--json', ...args], { cwd: t.dir })).stdout) as { id: string };
    const normal = await send('--to', 'claude', '--from', 'kami', '--sender', '972500000000@c.us', 'deploy the site\nthen tell me');
    const high = await send('--to', 'claude', '--from', 'kami', '--priority', 'high', 'the API is down');
    await send('--to', 'kami', 'not for claude');
    const done = await send('--to', 'claude', 'already handled');
    await agentnet(['bridge', 'done', done.id, '-c', config], { cwd: t.dir });

    // A session claims the normal one through the MCP server.
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: readJson(join(project, '.mcp.json')).mcpServers.agentnet.args, stderr: 'pipe' }));
    await client.callTool({ name: 'bridge_claim', arguments: { id: normal.id } });
    await client.close();

    const text = execFileSync('sh', ['-c', hook], { encoding: 'utf8' });
    assert.match(text, /^claude \(agentnet network home\): 2 pending requests for you, most urgent first\./);
    assert.match(text, /bridge_claim .* bridge_reply/);
    assert.ok(text.indexOf(high.id) < text.indexOf(normal.id), 'high priority first');
    assert.match(text, new RegExp(`id ${normal.id} · normal priority · from kami \\(owner's chat 972500000000@c\\.us\\) · sent [^·]+ · claimed by mcp:`));
    assert.match(text, /  deploy the site\n  then tell me/);
    assert.doesNotMatch(text, /not for claude|already handled/);

    // Unreadable bridge or store: still exit 0, with a note.
    const broken = hook.replace(/--bridge \S+/, `--bridge ${t.dir}`);
    const out = execFileSync('sh', ['-c', `${broken}; echo "exit=$?"`], { encoding: 'utf8' });
    assert.match(out, /could not read the bridge .*\nexit=0\n$/);
    const none = execFileSync('sh', ['-c', `${hook.replace(/--bridge \S+/, '--bridge /nonexistent/messages.jsonl')}; echo "exit=$?"`], { encoding: 'utf8' });
    assert.match(none, /no pending requests\.\nexit=0\n$/);
  });
});

describe('agentnet claude with the bridge in PostgreSQL', async () => {
  const skip = await pgSkipReason();
  const t = tempDir();
  const schema = freshSchema('claude');
  const config = join(t.dir, 'agentnet.yaml');
  // Trust authentication ignores the password: it is there to show it never reaches the settings.
  const url = PG_URL.replace('postgres://postgres@', 'postgres://postgres:hunter2secret@');
  before(async () => {
    writeFileSync(config, `network: hosts\nstore: { backend: postgres, url: "${url}", schema: ${schema} }\nagents:\n  claude: { role: orchestrator, health: { port: ${await freePort()} } }\n  kami: { role: relay, health: { port: ${await freePort()} } }\n`);
  });
  after(async () => {
    if (!skip) await dropSchema(schema);
    t.cleanup();
  });

  it('the hook reads the pending requests through the config, with no password in the settings, and fails open', { skip }, async () => {
    const project = join(t.dir, 'project');
    mkdirSync(project);
    const r = await agentnet(['claude', 'install', '--project', project, '-c', config], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    const hook = readJson(join(project, '.claude', 'settings.local.json')).hooks.SessionStart[0].hooks[0].command as string;
    assert.match(hook, / claude session-start --config \S+agentnet\.yaml --as claude --default --network hosts$/);
    assert.doesNotMatch(readFileSync(join(project, '.claude', 'settings.local.json'), 'utf8') + readFileSync(join(project, '.mcp.json'), 'utf8'), /hunter2secret/);
    assert.equal(execFileSync('sh', ['-c', hook], { encoding: 'utf8' }), 'claude (agentnet network hosts): no pending requests.\n');

    const send = async (...args: string[]) => JSON.parse((await agentnet(['bridge', 'send', '-c', config, '--json', ...args], { cwd: t.dir })).stdout) as { id: string };
    const normal = await send('--to', 'claude', '--from', 'kami', '--sender', '972500000000@c.us', 'deploy the site');
    const high = await send('--to', 'claude', '--from', 'kami', '--priority', 'high', 'the API is down');
    await send('--to', 'kami', 'not for claude');
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: readJson(join(project, '.mcp.json')).mcpServers.agentnet.args, stderr: 'pipe' }));
    await client.callTool({ name: 'bridge_claim', arguments: { id: normal.id } });
    await client.close();

    const text = execFileSync('sh', ['-c', hook], { encoding: 'utf8' });
    assert.match(text, /^claude \(agentnet network hosts\): 2 pending requests for you, most urgent first\./);
    assert.ok(text.indexOf(high.id) < text.indexOf(normal.id), 'high priority first');
    assert.match(text, new RegExp(`id ${normal.id} · normal priority · from kami \\(owner's chat 972500000000@c\\.us\\) · sent [^·]+ · claimed by mcp:`));
    assert.doesNotMatch(text, /not for claude/);

    // PostgreSQL unreachable: a note, exit 0, and the session is not held up.
    const dead = join(t.dir, 'dead.yaml');
    writeFileSync(dead, readFileSync(config, 'utf8').replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${await freePort()}`));
    const out = execFileSync('sh', ['-c', `${hook.replace(/--config \S+/, `--config ${dead}`)}; echo "exit=$?"`], { encoding: 'utf8' });
    assert.match(out, /^claude \(agentnet\): could not read the bridge \(.*\); bridge_inbox may still work\.\nexit=0\n$/);
    assert.doesNotMatch(out, /hunter2secret/);
  });
});
