import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { hostAllowed, httpGetTool } from '../../src/agent/tools/http-get.ts';
import { refusal, runCommandTool } from '../../src/agent/tools/run-command.ts';

describe('run_command', () => {
  const allow = [['git', 'status'], ['echo'], ['node', '--version']];

  it('runs an allowed command without a shell and reports exit code and output', async () => {
    const out = await runCommandTool({ allow }).run({ argv: ['echo', 'hello', '$HOME', '*'] }, {});
    assert.match(out, /^exit 0\n--- stdout\nhello \$HOME \*\n/, 'no shell: no expansion');
  });

  it('refuses what is not allowed, saying why', () => {
    assert.equal(refusal(['git', 'status', '--short'], allow), undefined);
    assert.match(refusal(['git', 'push'], allow)!, /"git push" is not on the allow-list; allowed: git status; echo; node --version/);
    assert.match(refusal(['bash', '-c', 'rm -rf /'], allow)!, /bash is an interpreter/);
    assert.match(refusal(['python3', 'x.py'], allow)!, /python3 is an interpreter/);
    assert.match(refusal(['node', '-e', 'process.exit()'], allow)!, /node is an interpreter/, 'node --version is allowed, node -e is not');
    assert.match(refusal(['/usr/bin/git', 'status'], allow)!, /\/usr\/bin\/git is a path outside the allow-list/);
    assert.match(refusal(['echo', 'a', '|', 'sh'], allow)!, /"\|" is shell syntax/);
    assert.match(refusal(['echo', '$(id)'], allow)!, /shell syntax/);
    assert.match(refusal([], allow)!, /empty command/);
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
