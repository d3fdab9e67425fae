/** Both providers, one suite: the real SDK clients against fake servers that speak each wire format. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createJsonlBridge } from '../../src/bridge/index.ts';
import { bridgeSendTool } from '../../src/agent/tools/bridge-tools.ts';
import { createAnthropicModel } from '../../src/models/anthropic.ts';
import type { Model } from '../../src/models/model.ts';
import { createOpenAIModel } from '../../src/models/openai.ts';
import type { RetryOptions } from '../../src/models/retry.ts';
import { runToolLoop } from '../../src/agent/tools/tool-loop.ts';
import { anthropicError, startFakeAnthropic, type AnthropicReply } from '../fakes/fake-anthropic.ts';
import { openaiError, startFakeOpenAI, type OpenAIReply } from '../fakes/fake-openai.ts';
import type { ScriptedServer, Step } from '../fakes/scripted-server.ts';
import { tempDir } from '../helpers/util.ts';

interface Provider<R> {
  name: string;
  start(): Promise<ScriptedServer<R>>;
  model(url: string, retry: Omit<RetryOptions, 'signal'>, extra?: { timeoutMs?: number; maxRetries?: number }): Model;
  text(t: string): Step<R>;
  tool(id: string, name: string, input: unknown): Step<R>;
  rawTool(id: string, name: string, args: string): Step<R>;
  error(status: number, type: string, headers?: Record<string, string>): Step<R>;
  /** The tool results the model was sent in a request body. */
  toolResults(body: any): Array<{ id: string; content: string; isError: boolean }>;
}

const anthropic: Provider<AnthropicReply> = {
  name: 'anthropic',
  start: startFakeAnthropic,
  model: (url, retry, extra = {}) => createAnthropicModel({ provider: 'anthropic', name: 'claude-sonnet-4-6', apiKey: 'sk-ant-test', baseUrl: url, ...extra }, retry),
  text: (text) => ({ reply: { text } }),
  tool: (id, name, input) => ({ reply: { toolUses: [{ id, name, input }] } }),
  rawTool: (id, name, args) => ({ reply: { toolUses: [{ id, name, input: JSON.parse(args) }] } }),
  error: anthropicError,
  toolResults: (body) =>
    body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : []).filter((b: any) => b.type === 'tool_result').map((b: any) => ({ id: b.tool_use_id, content: b.content, isError: b.is_error === true }))),
};

const openai: Provider<OpenAIReply> = {
  name: 'openai-compatible',
  start: startFakeOpenAI,
  model: (url, retry, extra = {}) => createOpenAIModel({ provider: 'openai', name: 'gpt-4o', apiKey: 'sk-test', baseUrl: `${url}/v1`, ...extra }, retry),
  text: (text) => ({ reply: { text } }),
  tool: (id, name, input) => ({ reply: { toolCalls: [{ id, name, arguments: JSON.stringify(input) }] } }),
  rawTool: (id, name, args) => ({ reply: { toolCalls: [{ id, name, arguments: args }] } }),
  error: openaiError,
  toolResults: (body) =>
    body.messages.filter((m: any) => m.role === 'tool').map((m: any) => ({ id: m.tool_call_id, content: m.content.replace(/^ERROR: /, ''), isError: m.content.startsWith('ERROR: ') })),
};

function describeProvider<R>(p: Provider<R>): void {
  describe(`model provider: ${p.name}`, () => {
    let fake: ScriptedServer<R>;
    const retries: Array<{ delayMs: number; reason: string }> = [];
    const fast = { baseMs: 5, onRetry: (i: { delayMs: number; reason: string }) => void retries.push(i) };
    before(async () => (fake = await p.start()));
    after(async () => fake.close());
    beforeEach(() => {
      fake.requests.length = 0;
      retries.length = 0;
    });

    it('sends the system prompt, messages and tools; returns text and usage', async () => {
      fake.script(p.text('Got it, checking.'));
      const m = p.model(fake.url, fast);
      const res = await m.complete({
        system: 'You are kami.',
        messages: [{ role: 'user', content: 'is the server up?' }],
        tools: [{ name: 'bridge_send', description: 'send', inputSchema: { type: 'object', properties: { to: { type: 'string' } } } }],
      });
      assert.equal(res.text, 'Got it, checking.');
      assert.deepEqual(res.toolCalls, []);
      assert.deepEqual(res.usage, { inputTokens: 25, outputTokens: 10 });
      const body = fake.requests[0]!.body;
      assert.ok(JSON.stringify(body).includes('You are kami.'));
      assert.ok(JSON.stringify(body).includes('is the server up?'));
      assert.ok(JSON.stringify(body).includes('bridge_send'));
    });

    it('runs a tool the model calls and gives it the result (a real bridge_send)', async () => {
      const { dir, cleanup } = tempDir();
      const bridge = createJsonlBridge({ path: join(dir, 'messages.jsonl') });
      try {
        fake.script(p.tool('call_1', 'bridge_send', { to: 'kaylee', content: 'deploy staging', priority: 'high' }), p.text('Sent to kaylee.'));
        const result = await runToolLoop({
          model: p.model(fake.url, fast),
          system: 's',
          messages: [{ role: 'user', content: 'deploy staging' }],
          tools: [bridgeSendTool(bridge, 'claude', ['kami', 'kaylee'])],
        });
        assert.equal(result.text, 'Sent to kaylee.');
        assert.equal(result.toolCalls, 1);
        const [sent] = await bridge.list();
        assert.deepEqual([sent!.from, sent!.to, sent!.content, sent!.metadata?.priority], ['claude', 'kaylee', 'deploy staging', 'high']);
        const results = p.toolResults(fake.requests[1]!.body);
        assert.equal(results.length, 1);
        assert.equal(results[0]!.id, 'call_1');
        assert.match(results[0]!.content, new RegExp(`sent notification ${sent!.id} to kaylee`));
      } finally {
        await bridge.close();
        cleanup();
      }
    });

    it('feeds unknown tools and invalid arguments back as errors, and stops at the step limit', async () => {
      fake.script(p.tool('c1', 'rm_rf', {}), p.rawTool('c2', 'bridge_send', '{"to": 42}'), p.tool('c3', 'bridge_send', { to: 'nobody', content: 'x' }));
      const { dir, cleanup } = tempDir();
      const bridge = createJsonlBridge({ path: join(dir, 'messages.jsonl') });
      try {
        const result = await runToolLoop({
          model: p.model(fake.url, fast),
          system: 's',
          messages: [{ role: 'user', content: 'x' }],
          tools: [bridgeSendTool(bridge, 'claude', ['kaylee'])],
          maxSteps: 3,
        });
        assert.equal(result.stoppedByLimit, true);
        assert.equal(result.steps, 3);
        const sentBack = p.toolResults(fake.requests[2]!.body);
        assert.match(sentBack[0]!.content, /unknown tool "rm_rf"; the tools you have are: bridge_send/);
        assert.match(sentBack[1]!.content, /invalid arguments for bridge_send: to: .*expected string/);
        assert.ok(sentBack.every((r) => r.isError));
        assert.deepEqual(await bridge.list(), [], 'nothing was sent');
      } finally {
        await bridge.close();
        cleanup();
      }
    });

    it('waits as long as retry-after says on 429, then succeeds', async () => {
      fake.script(p.error(429, 'rate_limit_error', { 'retry-after': '1' }), p.text('ok'));
      const res = await p.model(fake.url, fast).complete({ system: 's', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(res.text, 'ok');
      assert.equal(fake.requests.length, 2);
      assert.equal(retries[0]!.reason, 'HTTP 429');
      assert.ok(retries[0]!.delayMs >= 1000, `waited ${retries[0]!.delayMs} ms`);
    });

    it('retries overload (529), server errors (500) and dropped connections', async () => {
      fake.script(p.error(529, 'overloaded_error'), p.error(500, 'api_error'), { drop: true }, p.text('finally'));
      const res = await p.model(fake.url, fast).complete({ system: 's', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(res.text, 'finally');
      assert.deepEqual(retries.map((r) => r.reason.replace(/Error$/, '')).slice(0, 2), ['HTTP 529', 'HTTP 500']);
      assert.equal(retries.length, 3);
    });

    it('times out a slow call and retries it', async () => {
      fake.script({ delayMs: 2000, then: p.text('too late') }, p.text('in time'));
      const res = await p.model(fake.url, fast, { timeoutMs: 300 }).complete({ system: 's', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(res.text, 'in time');
      assert.equal(retries.length, 1);
    });

    it('gives up after its attempts with the provider error, and does not retry a 400', async () => {
      fake.script(p.error(500, 'api_error'), p.error(500, 'api_error'));
      await assert.rejects(p.model(fake.url, fast, { maxRetries: 1 }).complete({ system: 's', messages: [{ role: 'user', content: 'x' }] }), (e: any) => e.status === 500);
      fake.script(p.error(400, 'invalid_request_error'));
      const before = fake.requests.length;
      await assert.rejects(p.model(fake.url, fast).complete({ system: 's', messages: [{ role: 'user', content: 'x' }] }), (e: any) => e.status === 400);
      assert.equal(fake.requests.length, before + 1);
    });
  });
}

describeProvider(anthropic);
describeProvider(openai);
