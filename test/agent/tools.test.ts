import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { hostAllowed, httpGetTool, isInternalAddress } from '../../src/agent/tools/http-get.ts';
import { refusal, runCommandTool } from '../../src/agent/tools/run-command.ts';

describe('run_command', () => {
  const allow = [['git', 'status'], ['echo'], ['node', '--version']];

  it('runs an allowed command without a shell and reports exit code and output', async () => {
    const out = await runCommandTool({ allow }).run({ argv: ['echo', 'hello', '$HOME', '*'] }, {});
    assert.match(out, /^exit 0\n--- stdout\nhello \$HOME \*\n/, 'no shell: no expansion');
  });

  it('refuses what is not allowed, saying why', () => {
    assert.equal(refusal(['git', 'status'], allow), undefined);
    assert.equal(refusal(['node', '--version'], allow), undefined);
    assert.match(refusal(['git', 'push'], allow)!, /"git push" is not on the allow-list; allowed: git status; echo; node --version/);
    assert.match(refusal(['bash', '-c', 'rm -rf /'], allow)!, /bash is an interpreter/);
    assert.match(refusal(['python3', 'x.py'], allow)!, /python3 is an interpreter/);
    assert.match(refusal(['node', '-e', 'process.exit()'], allow)!, /node is an interpreter/, 'node --version is allowed, node -e is not');
    assert.match(refusal(['/usr/bin/git', 'status'], allow)!, /\/usr\/bin\/git is a path outside the allow-list/);
    assert.match(refusal(['echo', 'a', '|', 'sh'], allow)!, /"\|" is shell syntax/);
    assert.match(refusal(['echo', '$(id)'], allow)!, /shell syntax/);
    assert.match(refusal([], allow)!, /empty command/);
  });

  it('refuses options after an allowed prefix (git log --output=... would write any file)', () => {
    const git = [['git', 'log'], ['git', 'status', '--short']];
    assert.match(refusal(['git', 'log', '-1', '--format=x', '--output=.git/config'], git)!, /option "-1" is not allowed after "git log"/);
    assert.match(refusal(['git', 'log', '--upload-pack=touch /tmp/x'], git)!, /option "--upload-pack=touch \/tmp\/x" is not allowed/);
    assert.equal(refusal(['git', 'status', '--short'], git), undefined, 'an option written into the prefix is allowed');
    assert.equal(refusal(['git', 'log', 'main'], git), undefined, 'plain arguments are fine');
  });

  it('gives the command no secrets from the agent environment', async () => {
    process.env.AGENTNET_TEST_SECRET = 'sk-should-not-leak';
    try {
      // env is an interpreter, but the owner listed it explicitly: it runs, and sees no secret.
      const printed = await runCommandTool({ allow: [['env']] }).run({ argv: ['env'] }, {});
      assert.match(printed, /^exit 0\n--- stdout\n[\s\S]*PATH=/);
      assert.ok(!printed.includes('sk-should-not-leak'));
    } finally {
      delete process.env.AGENTNET_TEST_SECRET;
    }
  });

  it('turns a refusal into a tool error the model can read', async () => {
    await assert.rejects(runCommandTool({ allow }).run({ argv: ['rm', '-rf', '/'] }, {}), /refused: "rm -rf \/" is not on the allow-list/);
  });

  it('stops a command that runs too long', async () => {
    const out = await runCommandTool({ allow: [['sleep']], timeoutMs: 100 }).run({ argv: ['sleep', '5'] }, {});
    assert.match(out, /killed: timeout/);
  });
});

describe('http_get', () => {
  it('matches hosts exactly or by *.domain', () => {
    assert.ok(hostAllowed('api.example.com', ['api.example.com']));
    assert.ok(hostAllowed('a.example.com', ['*.example.com']));
    assert.ok(!hostAllowed('example.com.evil.net', ['*.example.com']));
    assert.ok(!hostAllowed('evilexample.com', ['*.example.com']));
    assert.ok(!hostAllowed('other.com', ['api.example.com']));
  });

  it('refuses a name that resolves to an internal address unless listed exactly', async () => {
    assert.ok(isInternalAddress('169.254.169.254') && isInternalAddress('10.1.2.3') && isInternalAddress('::1') && isInternalAddress('::ffff:127.0.0.1'));
    assert.ok(!isInternalAddress('93.184.216.34'));
    // 127.0.0.1 matched only by a wildcard, not listed exactly: refused.
    await assert.rejects(httpGetTool(['*.0.0.1']).run({ url: 'http://127.0.0.1:9/' }, {}), /resolves to the internal address 127\.0\.0\.1/);
  });

  it('reads at most 16 kB of a body', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(1_000_000)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const out = await httpGetTool(['127.0.0.1']).run({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }, {});
      assert.ok(out.length < 17_000);
      assert.match(out, /\[truncated\]$/);
    } finally {
      server.close();
    }
  });

  it('fetches from an allowed host, refuses others, and does not follow redirects', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    try {
      const tool = httpGetTool(['127.0.0.1']);
      assert.match(await tool.run({ url: `http://127.0.0.1:${port}/ping` }, {}), /^HTTP 200 text\/plain\npong$/);
      assert.match(await tool.run({ url: `http://127.0.0.1:${port}/redirect` }, {}), /HTTP 302 redirect to http:\/\/169\.254\.169\.254.* \(not followed\)/);
      await assert.rejects(tool.run({ url: `http://localhost:${port}/` }, {}), /host localhost is not on the allow-list/);
      await assert.rejects(tool.run({ url: 'file:///etc/passwd' }, {}), /only http and https/);
      await assert.rejects(tool.run({ url: `http://u:p@127.0.0.1:${port}/` }, {}), /credentials/);
    } finally {
      server.close();
    }
  });
});
