/**
 * The dashboard end to end: `agentnet up` serves it, headless Chromium (Debian's, driven by
 * playwright-core) watches the seed's three agents and their traffic live, retries a dead task,
 * approves a gated deployment (which then runs) and pauses the network. Screenshots are saved to
 * test-artifacts/ (dashboard.png, dashboard-phone.png, dashboard-approvals*.png).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSqliteStore } from '../../src/store/index.ts';
import { agentnet, BIN, freePort, lines, ROOT, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';
import type { ChildProcess } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const ARTIFACTS = join(ROOT, 'test-artifacts');

/** The seed's network; kaylee's `production` deployment (deploy.sh, which records each run in runs.txt) waits for the owner's yes. */
async function network(dir: string, dashboard: string): Promise<{ file: string; ports: Record<string, number> }> {
  const ports = { claude: await freePort(), kami: await freePort(), kaylee: await freePort(), dashboard: await freePort() };
  const file = join(dir, 'agentnet.yaml');
  writeFileSync(join(dir, 'deploy.sh'), '#!/bin/sh\necho "$AGENTNET_TASK_ID" >> runs.txt\necho "deployed $AGENTNET_DEPLOYMENT"\n');
  chmodSync(join(dir, 'deploy.sh'), 0o755);
  writeFileSync(
    file,
    `network: seed
bridge: { pollIntervalMs: 100 }
dashboard: { port: ${ports.dashboard}${dashboard} }
agents:
  claude: { role: orchestrator, health: { port: ${ports.claude} } }
  kami: { role: relay, health: { port: ${ports.kami} } }
  kaylee:
    role: autonomous
    worker: { pollMs: 100 }
    health: { port: ${ports.kaylee} }
    approve: { deploy: [production] }
    deployments: { production: { command: [./deploy.sh], cwd: . } }
`,
  );
  return { file, ports };
}

describe('the dashboard in a browser', () => {
  const t = tempDir();
  let up: ChildProcess;
  let browser: Browser;
  let page: Page;
  let url = '';
  let file = '';
  let ports: Record<string, number> = {};
  const dialogs: string[] = [];

  before(async () => {
    ({ file, ports } = await network(t.dir, ''));
    up = spawnNode([BIN, 'up', '-c', file], { cwd: t.dir });
    const out = lines(up);
    await waitFor(() => out.some((l) => l.startsWith('dashboard: ')), 'the dashboard URL in the banner', 30_000);
    url = out.find((l) => l.startsWith('dashboard: '))!.slice('dashboard: '.length);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('dialog', (d) => void (dialogs.push(d.message()), d.accept()));
  });
  /** The production deployments that ran, by task id. */
  const runs = () => (existsSync(join(t.dir, 'runs.txt')) ? readFileSync(join(t.dir, 'runs.txt'), 'utf8').trim().split('\n') : []);
  after(async () => {
    await browser?.close();
    if (up) await stopProcess(up);
    t.cleanup();
  });

  it('the banner prints a loopback URL with no token', () => {
    assert.equal(url, `http://127.0.0.1:${ports.dashboard}/`);
  });

  it('shows the three agents of the running network', async () => {
    await page.goto(url);
    for (const [agent, role] of [['claude', 'orchestrator'], ['kami', 'relay'], ['kaylee', 'autonomous']]) {
      const card = page.locator(`article.agent[data-agent="${agent}"]`);
      await card.locator('[data-testid=state]', { hasText: 'ok' }).waitFor();
      assert.match(await card.innerText(), new RegExp(`${agent}\\s+${role}`));
    }
    assert.equal(await page.locator('[data-testid=network-state]').innerText(), 'running');
  });

  it('updates live when a message goes through the bridge, with the answer under its request', async () => {
    // A mark on this page's window: still there afterwards means no reload happened.
    const before = await page.evaluate<number>('window.loadedAt ??= Date.now()');
    const sent = await agentnet(['bridge', 'send', '--to', 'claude', '-c', file, 'deploy the <b>site</b> please'], { cwd: t.dir });
    assert.equal(sent.code, 0, sent.stderr);
    const thread = page.locator('.thread', { hasText: 'deploy the <b>site</b> please' });
    await thread.waitFor();
    // The offline model answers; the response appears nested under the request.
    await thread.locator('.reply .msg.response', { hasText: 'claude received' }).waitFor();
    // Shown as text, not markup, and without a reload of the page.
    assert.equal(await page.locator('.thread b', { hasText: 'site' }).count(), 0);
    assert.equal(await page.evaluate<number>('window.loadedAt'), before);
    await page.locator('figure.chart[data-agent="claude"] [data-testid=count]', { hasText: '1' }).waitFor();
    await page.locator('article.agent[data-agent="claude"] [data-testid=processed]', { hasText: '1' }).waitFor();
  });

  it('retries a dead-lettered task from the page', async () => {
    const added = await agentnet(['tasks', 'add', 'deploy', '--payload', '{"deployment":"nope"}', '--json', '-c', file], { cwd: t.dir });
    assert.equal(added.code, 0, added.stderr);
    const id = (JSON.parse(added.stdout) as { id: string }).id;
    const retry = page.locator(`#dead li[data-task="${id}"] [data-testid=retry]`);
    await retry.waitFor();
    // The button stays the same element while the page updates around it (the recent tasks'
    // "3s ago" changes every second): one replaced under the pointer would lose the click.
    const button = await retry.elementHandle();
    const ago = `#tasks li[data-task="${id}"] .ago`;
    const shown = await page.locator(ago).innerText();
    await waitFor(async () => (await page.locator(ago).innerText()) !== shown, 'the recent tasks to be updated');
    assert.equal(await button!.evaluate((el) => el.isConnected), true, 'the Retry button was replaced by an update');
    const failures = async () => {
      const r = await agentnet(['bridge', 'ls', '--from', 'kaylee', '--json', '-c', file], { cwd: t.dir });
      return r.stdout.split('\n').filter((l) => l.includes(id) && l.includes('deploy failed')).length;
    };
    assert.equal(await failures(), 1);
    await retry.click();
    // The task ran again: a second failure report for it.
    await waitFor(async () => (await failures()) === 2, 'the retried task to run again');
  });

  it('lists a gated deployment waiting for the yes; Approve decides it, the deployment runs, and it moves to the past approvals', async () => {
    const store = createSqliteStore({ path: join(t.dir, '.agentnet', 'store.db') });
    try {
      // A request whose arguments are markup, as a hostile command line would make them.
      const hostile = (await store.approvals.request({
        agent: 'claude', action: { kind: 'run_command', name: 'echo', args: ['<img src=x onerror="window.pwned=1">', '<script>window.pwned=2</script>'] }, reason: 'the owner asked on the phone', ttlMs: 3600_000, actionKey: 'e2e-hostile',
      })).approval;
      const added = await agentnet(['tasks', 'add', 'deploy', '--payload', '{"deployment":"production"}', '--json', '-c', file], { cwd: t.dir });
      assert.equal(added.code, 0, added.stderr);
      const task = (JSON.parse(added.stdout) as { id: string }).id;
      await waitFor(async () => (await store.approvals.list()).some((a) => a.context?.task === task), 'kaylee to ask for the yes');
      const deploy = (await store.approvals.list()).find((a) => a.context?.task === task)!;

      const item = page.locator(`#approvals li[data-approval="${deploy.id}"]`);
      await item.waitFor();
      assert.match(await item.innerText(), new RegExp(`^${deploy.code} kaylee deploy production\\nwhy: task ${task} \\(deploy\\)\\nrequested \\d\\d:\\d\\d UTC · expires in 10 min \\(\\d\\d:\\d\\d UTC\\)`));
      const evil = page.locator(`#approvals li[data-approval="${hostile.id}"] [data-testid=action]`);
      assert.equal(await evil.innerText(), 'run_command echo <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>');
      assert.equal(await page.locator('#approvals img, #approvals script').count(), 0);
      assert.equal(await page.evaluate('window.pwned'), undefined);
      assert.deepEqual(runs(), [], 'it waits for the yes');

      await item.locator('[data-testid=approve]').click();
      await page.locator('#approval-result', { hasText: `approved ${deploy.code}: kaylee may now run deploy production` }).waitFor();
      assert.equal(dialogs.at(-1), `Approve ${deploy.code}? kaylee runs deploy production`);
      const decided = await store.approvals.get(deploy.id);
      assert.deepEqual([decided?.status, decided?.decidedBy, decided?.channel], ['approved', 'dashboard', 'dashboard']);
      // The deployment runs once, and the page shows what came of it under the past approvals.
      const past = page.locator(`#audit li.approval.approved[data-approval="${deploy.id}"]`);
      await past.locator('[data-testid=ran]', { hasText: 'deployment "production" succeeded' }).waitFor();
      assert.match(await past.innerText(), new RegExp(`^approved ${deploy.code} kaylee deploy production\\nby dashboard via dashboard \\d+s ago · asked`));
      assert.equal(await item.count(), 0, 'no longer pending');
      assert.deepEqual(runs(), [task]);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-approvals.png'), fullPage: true });
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
      try {
        await phone.goto(url);
        await phone.locator(`#approvals li[data-approval="${hostile.id}"] [data-testid=deny]`).waitFor();
        assert.ok(await phone.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'fits the phone');
        await phone.screenshot({ path: join(ARTIFACTS, 'dashboard-approvals-phone.png'), fullPage: true });
        // Deny from the phone: the same control, the other answer.
        await phone.locator(`#approvals li[data-approval="${hostile.id}"] [data-testid=deny]`).click();
        await phone.locator('#approval-result', { hasText: `denied ${hostile.code}: claude will not run run_command echo` }).waitFor();
        await phone.locator(`#audit li.approval.denied[data-approval="${hostile.id}"]`).waitFor();
      } finally {
        await phone.close();
      }
      assert.equal((await store.approvals.get(hostile.id))?.decidedBy, 'dashboard');
      assert.equal((await store.approvals.list({ all: true })).filter((a) => a.decidedBy === 'dashboard').length, 2, 'each decided once');
    } finally {
      await store.close();
    }
  });

  it('pauses and resumes the network from the page', async () => {
    await page.locator('[data-testid=pause]').click();
    await page.locator('[data-testid=network-state]', { hasText: 'paused' }).waitFor();
    assert.ok(existsSync(join(t.dir, '.agentnet', 'PAUSE')), 'the PAUSE file');
    assert.match(readFileSync(join(t.dir, '.agentnet', 'PAUSE'), 'utf8'), /dashboard/);
    for (const agent of ['claude', 'kami', 'kaylee']) {
      await page.locator(`article.agent[data-agent="${agent}"] [data-testid=state]`, { hasText: 'paused' }).waitFor();
      const health = (await (await fetch(`http://127.0.0.1:${ports[agent]}/health`)).json()) as { status: string };
      assert.equal(health.status, 'paused');
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.locator('[data-testid=resume]').click();
    await page.locator('[data-testid=network-state]', { hasText: 'running' }).waitFor();
    assert.ok(!existsSync(join(t.dir, '.agentnet', 'PAUSE')));
    await page.locator('article.agent[data-agent="kaylee"] [data-testid=state]', { hasText: 'ok' }).waitFor();
  });

  it('is readable on a phone', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      await phone.goto(url);
      await phone.locator('article.agent').first().waitFor();
      // No sideways scrolling: the page fits the phone's width.
      assert.ok(await phone.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1'));
      await phone.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png') });
    } finally {
      await phone.close();
    }
  });
});

describe('the dashboard off loopback', () => {
  const t = tempDir();
  let dash: ChildProcess;
  let url = '';
  let file = '';
  let port = 0;

  before(async () => {
    ({ file } = await network(t.dir, ', host: 0.0.0.0'));
    const out = lines((dash = spawnNode([BIN, 'dashboard', '-c', file], { cwd: t.dir })));
    await waitFor(() => out.some((l) => l.startsWith('dashboard of network')), 'the dashboard URL', 30_000);
    url = out.find((l) => l.startsWith('dashboard of network'))!.replace(/^.*?: /, '');
    port = Number(new URL(url).port);
  });
  after(async () => {
    if (dash) await stopProcess(dash);
    t.cleanup();
  });

  it('prints a URL with a generated token, and refuses requests without it', async () => {
    const token = new URL(url).searchParams.get('token');
    assert.ok(token && token.length >= 16, url);
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/`)).status, 401);
    assert.equal((await fetch(`${base}/events`)).status, 401);
    assert.equal((await fetch(`${base}/?token=wrong-token-of-some-length`)).status, 401);
    assert.equal((await fetch(`${base}/api/state`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    // The token in the address becomes an HttpOnly, SameSite=Strict cookie.
    const first = await fetch(url, { redirect: 'manual' });
    assert.equal(first.status, 303);
    const cookie = first.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly; SameSite=Strict/);
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.match(await page.text(), /<section id="agents"/);
  });

  it('takes a control only with the token and the HX-Request header', async () => {
    const token = new URL(url).searchParams.get('token')!;
    const base = `http://127.0.0.1:${port}`;
    const pauseFile = join(t.dir, '.agentnet', 'PAUSE');
    assert.equal((await fetch(`${base}/api/pause`, { method: 'POST', headers: { 'hx-request': 'true' } })).status, 401);
    // What a form on another site could send: the cookie, but no custom header.
    assert.equal((await fetch(`${base}/api/pause`, { method: 'POST', headers: { cookie: `agentnet_dashboard=${token}` } })).status, 403);
    assert.ok(!existsSync(pauseFile));
    assert.equal((await fetch(`${base}/api/pause`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'hx-request': 'true' } })).status, 204);
    assert.ok(existsSync(pauseFile));
  });
});

/** One request to 127.0.0.1:port with a given Host header; resolves with the status. */
async function statusFor(port: number, host: string, path = '/', method = 'GET', headers: Record<string, string> = {}): Promise<number> {
  const http = await import('node:http');
  return new Promise<number>((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, path, method, headers: { ...headers, host } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end();
  });
}

/** Host headers a DNS-rebinding page (or a wrong port) would send to a loopback server. */
const hostileHosts = (port: number) => ['attacker.example:80', `127.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.attacker.example:${port}`, `127.0.0.1:${port + 1}`, `127.0.0.1`, `127.0.0.256:${port}`];
const loopbackHosts = (port: number) => [`localhost:${port}`, `127.0.0.1:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`];

describe('the dashboard on loopback', () => {
  it('answers only to loopback host names (no DNS rebinding)', async () => {
    const t = tempDir();
    const { file } = await network(t.dir, '');
    const p = spawnNode([BIN, 'dashboard', '-c', file, '--port', String(await freePort())], { cwd: t.dir });
    try {
      const o2 = lines(p);
      await waitFor(() => o2.some((l) => l.startsWith('dashboard of network')), 'the dashboard URL', 30_000);
      const u = new URL(o2.find((l) => l.startsWith('dashboard of network'))!.replace(/^.*?: /, ''));
      assert.equal(u.hostname, '127.0.0.1');
      assert.equal(u.search, '', 'no token on loopback');
      const port = Number(u.port);
      for (const host of hostileHosts(port)) {
        assert.equal(await statusFor(port, host), 421, host);
        assert.equal(await statusFor(port, host, '/api/state'), 421, `${host} /api/state`);
        assert.equal(await statusFor(port, host, '/api/pause', 'POST', { 'hx-request': 'true' }), 421, `${host} POST /api/pause`);
      }
      assert.ok(!existsSync(join(t.dir, '.agentnet', 'PAUSE')), 'no hostile host paused the network');
      for (const host of loopbackHosts(port)) assert.equal(await statusFor(port, host), 200, host);
    } finally {
      await stopProcess(p);
      t.cleanup();
    }
  });

  it("an agent's /metrics answers only to loopback host names too", async () => {
    const t = tempDir();
    const { file, ports } = await network(t.dir, '');
    const p = spawnNode([BIN, 'run', 'kaylee', '-c', file, '--quiet'], { cwd: t.dir });
    try {
      await waitHealthy(ports.kaylee!, 'kaylee', p);
      for (const host of hostileHosts(ports.kaylee!)) assert.equal(await statusFor(ports.kaylee!, host, '/metrics'), 421, host);
      for (const host of loopbackHosts(ports.kaylee!)) assert.equal(await statusFor(ports.kaylee!, host, '/metrics'), 200, host);
    } finally {
      await stopProcess(p);
      t.cleanup();
    }
  });
});
