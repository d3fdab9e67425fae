/**
 * What a client that reads only `structuredContent` learns from `agentnet mcp` (Claude Code
 * hands the model only the structured part of a result that has one): each result's data says
 * what happened and what to do next in a `note`, and a failure is words only (no data to hide
 * them). Driven by the official SDK's MCP client over real stdio.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { agentnet, BIN, tempDir } from '../helpers/util.ts';

type Result = { content: Array<{ type: string; text: string }>; structuredContent?: any; isError?: boolean };

/** What a structured-only client shows its model: the data if there is any, else the text. */
const seen = (r: Result): string => (r.structuredContent ? JSON.stringify(r.structuredContent) : r.content.map((c) => c.text).join('\n'));

describe('agentnet mcp, read through structuredContent only', () => {
  const t = tempDir();
  const config = join(t.dir, 'agentnet.yaml');
  const clients: Client[] = [];
  const connect = async (name: string) => {
    const c = new Client({ name, version: '1.0.0' });
    await c.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '-c', config], stderr: 'pipe' }));
    clients.push(c);
    return c;
  };
  const call = async (c: Client, name: string, args: Record<string, unknown> = {}) => (await c.callTool({ name, arguments: args })) as Result;
  const send = async (...args: string[]) => {
    const r = await agentnet(['bridge', 'send', '-c', config, '--json', ...args], { cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }).id;
  };

  before(() => {
    writeFileSync(config, `network: sc\nagents:\n  claude: { role: orchestrator, health: { port: 1 } }\n  kami: { role: relay, health: { port: 2 } }\n  kaylee: { role: autonomous, health: { port: 3 } }\n`);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    t.cleanup();
  });

  it('says how to act on the inbox, the claim and the reply', async () => {
    const a = await connect('a');
    assert.match(seen(await call(a, 'bridge_inbox')), /"note":"no pending requests for claude"/);
    const id = await send('--to', 'claude', '--from', 'kami', '--sender', '972500000000@c.us', 'is the site up?');

    const inbox = await call(a, 'bridge_inbox');
    assert.match(inbox.structuredContent.note, /^1 pending request for claude.*bridge_claim.*bridge_reply/);
    assert.equal(inbox.structuredContent.requests[0].id, id);

    const claim = await call(a, 'bridge_claim', { id });
    assert.match(claim.structuredContent.note, new RegExp(`^claimed ${id} until \\S+\\. Answer it with bridge_reply\\.$`));
    assert.match(seen(await call(a, 'bridge_inbox')), /"claim":\{[^}]*"by":"you"/, 'its own claim reads as yours');

    const other = await connect('b');
    assert.match(seen(await call(other, 'bridge_inbox')), /"claim":\{[^}]*"by":"mcp:/, "another session's claim names its holder");
    const refused = await call(other, 'bridge_claim', { id });
    assert.equal(refused.isError, true);
    assert.equal(refused.structuredContent, undefined, 'a failure is words only');
    assert.match(seen(refused), /is claimed by mcp:\S+ until .*leave it to them/);

    const reply = await call(a, 'bridge_reply', { id, content: 'yes, it is up' });
    assert.match(reply.structuredContent.note, new RegExp(`^answered ${id} with response \\S+ \\(to kami\\); the request is done$`));
    const late = await call(other, 'bridge_reply', { id, content: 'me too' });
    assert.equal(late.isError, true);
    assert.match(seen(late), /already (done|answered)/);
  });

  it('gives every other result with data a note in words', async () => {
    const c = await connect('c');
    const results: Array<[string, Result]> = [
      ['bridge_send', await call(c, 'bridge_send', { to: 'kaylee', content: 'fyi' })],
      ['task_enqueue', await call(c, 'task_enqueue', { kind: 'prompt', payload: { prompt: 'hi' } })],
      ['task_status', await call(c, 'task_status')],
      ['memory_set', await call(c, 'memory_set', { namespace: 'n', key: 'k', value: 1 })],
      ['memory_list', await call(c, 'memory_list', { namespace: 'n' })],
      ['memory_get', await call(c, 'memory_get', { namespace: 'n', key: 'missing' })],
      ['network_status', await call(c, 'network_status')],
      ['request_approval', await call(c, 'request_approval', { action: 'restart nginx', reason: 'structured' })],
    ];
    results.push(['approval_status', await call(c, 'approval_status', { id: results.at(-1)![1].structuredContent.approval.id })]);
    for (const [name, r] of results) {
      assert.equal(r.isError, undefined, `${name}: ${r.content[0]?.text}`);
      assert.equal(typeof r.structuredContent?.note, 'string', name);
      assert.equal(r.structuredContent.note, r.content[0]!.text.split('\n')[0], `${name}: the note is the text's headline`);
    }
    assert.match(results[0]![1].structuredContent.note, /^sent notification \S+ to kaylee$/);
    assert.match(results[5]![1].structuredContent.note, /^n\/missing is not set$/);
    assert.match(results[7]![1].structuredContent.note, /^asked the owner for approval \d{4} .*: do not do it yet\..* call approval_status with id "approval-/);
    assert.match(results[8]![1].structuredContent.note, /still waits for the owner's answer .*: do not do it yet; call approval_status/);
  });
});
