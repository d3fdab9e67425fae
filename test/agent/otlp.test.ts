/**
 * The OpenTelemetry export: hops as OTLP/HTTP JSON spans to a collector (a local receiver started
 * here), from the tracer and from an agent process configured with `traces.otlp`; a collector
 * that fails costs spans, never the hops in the store.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createOtlpExporter } from '../../src/agent/otlp.ts';
import { createTracer } from '../../src/agent/tracer.ts';
import { createJsonlBridge, newTraceId } from '../../src/bridge/index.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { createSqliteStore } from '../../src/store/index.ts';
import { BIN, freePort, spawnNode, stopProcess, tempDir, waitFor, waitHealthy } from '../helpers/util.ts';

interface Span { traceId: string; spanId: string; name: string; kind: number; startTimeUnixNano: string; endTimeUnixNano: string; attributes: Array<{ key: string; value: Record<string, unknown> }> }
interface Export { headers: IncomingHttpHeaders; resource: Record<string, unknown>; spans: Span[] }

/** A collector: answers `status` to POST /v1/traces and keeps what it was sent. */
async function startReceiver() {
  const received: Export[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') return void res.writeHead(404).end();
      const json = JSON.parse(body) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue: string } }> }; scopeSpans: Array<{ spans: Span[] }> }> };
      for (const rs of json.resourceSpans) {
        const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
        received.push({ headers: req.headers, resource, spans: rs.scopeSpans.flatMap((s) => s.spans) });
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`,
    received,
    spans: () => received.flatMap((e) => e.spans),
    fail: (s: number) => void (status = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attrOf = (s: Span, key: string) => s.attributes.find((a) => a.key === key)?.value;

describe('OpenTelemetry export', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const t = tempDir('agentnet-otlp-');
  before(async () => (receiver = await startReceiver()));
  after(async () => {
    await receiver.close();
    t.cleanup();
  });

  it('sends each hop as a span of its trace, with its agent, ref and details; a model call spans its duration', async () => {
    const store = createSqliteStore({ path: join(t.dir, 'unit.db') });
    const logger = createMemoryLogger();
    const tracer = createTracer({ agent: 'claude', traces: store.traces, logger, exporter: createOtlpExporter({ url: receiver.url, headers: { authorization: 'Bearer collector-token' }, agent: 'claude', logger }) });
    try {
      const trace = newTraceId();
      const at = Date.now();
      tracer.hop(trace, 'claimed', 'req-1', { type: 'request' }, { at });
      tracer.hop(trace, 'model-finished', 'req-1#1', { model: 'anthropic:claude-sonnet-4-6', inputTokens: 25, outputTokens: 10, ms: 840 }, { at: at + 900 });
      await tracer.flush();
      const [e] = receiver.received.splice(0);
      assert.equal(e!.headers.authorization, 'Bearer collector-token');
      assert.deepEqual(e!.resource, { 'service.name': 'agentnet', 'service.instance.id': 'claude' });
      const [claimed, model] = e!.spans;
      assert.deepEqual([claimed!.traceId, claimed!.name, claimed!.kind, claimed!.startTimeUnixNano, claimed!.endTimeUnixNano], [trace, 'claimed', 1, `${at}000000`, `${at}000000`]);
      assert.match(claimed!.spanId, /^[0-9a-f]{16}$/);
      assert.deepEqual(attrOf(claimed!, 'agentnet.ref'), { stringValue: 'req-1' });
      assert.deepEqual([model!.startTimeUnixNano, model!.endTimeUnixNano], [`${at + 60}000000`, `${at + 900}000000`], 'the call, 840 ms');
      assert.deepEqual(attrOf(model!, 'agentnet.inputTokens'), { intValue: '25' });
      assert.equal((await store.traces.hops(trace)).length, 2, 'the store has them too');
    } finally {
      await store.close();
    }
  });

  it('a collector that fails costs the spans, logged once; the hops are in the store', async () => {
    const store = createSqliteStore({ path: join(t.dir, 'failing.db') });
    const logger = createMemoryLogger();
    const tracer = createTracer({ agent: 'kami', traces: store.traces, logger, exporter: createOtlpExporter({ url: receiver.url, agent: 'kami', logger }) });
    receiver.fail(503);
    try {
      const trace = newTraceId();
      for (const ref of ['a', 'b', 'c']) {
        tracer.hop(trace, 'sent', ref);
        await tracer.flush();
      }
      assert.deepEqual(logger.entries.filter((x) => /not exported to the OpenTelemetry collector/.test(String(x.msg))).map((x) => x.err), ['HTTP 503']);
      assert.equal((await store.traces.hops(trace)).length, 3);
    } finally {
      receiver.fail(200);
      receiver.received.splice(0);
      await store.close();
    }
  });

  it('an agent configured with traces.otlp exports the hops of the requests it handles (here with record: false: exported, not stored)', async () => {
    const port = await freePort();
    const config = join(t.dir, 'agentnet.yaml');
    writeFileSync(config, `network: otlp\nbridge: { pollIntervalMs: 100 }\ntraces: { record: false, otlp: { url: "${receiver.url}" } }\nagents:\n  claude: { role: orchestrator, health: { port: ${port} } }\n`);
    const bridge = createJsonlBridge({ path: join(t.dir, '.agentnet', 'bridge', 'messages.jsonl') });
    let claude: ChildProcess | undefined;
    try {
      claude = spawnNode([BIN, 'run', 'claude', '--quiet', '-c', config], { cwd: t.dir });
      claude.stdout!.resume();
      await waitHealthy(port, 'claude', claude);
      const trace = newTraceId();
      const req = await bridge.append({ from: 'owner', to: 'claude', type: 'request', content: 'status of the disks?', metadata: { trace } });
      await waitFor(() => receiver.spans().some((s) => s.traceId === trace && s.name === 'answered'), 'the answer exported');
      // In time order (two exports may arrive out of order; sort is stable for spans that end together).
      const names = receiver.spans().filter((s) => s.traceId === trace).sort((a, b) => Number(BigInt(a.endTimeUnixNano) - BigInt(b.endTimeUnixNano))).map((s) => s.name);
      assert.deepEqual(names, ['requested', 'claimed', 'model-started', 'model-finished', 'answered']);
      assert.ok(receiver.received.every((e) => e.resource['service.instance.id'] === 'claude'));
      assert.deepEqual(attrOf(receiver.spans().find((s) => s.name === 'claimed')!, 'agentnet.ref'), { stringValue: req.id });
      assert.equal((await bridge.answerOf(req.id))?.metadata?.trace, trace, 'the id still travels with the answer');
      const store = createSqliteStore({ path: join(t.dir, '.agentnet', 'store.db') });
      try {
        assert.deepEqual(await store.traces.hops(trace), [], 'record: false writes no hops');
      } finally {
        await store.close();
      }
    } finally {
      if (claude) await stopProcess(claude);
      await bridge.close();
    }
  });
});
