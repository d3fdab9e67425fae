/**
 * The Bridge conformance suite against PostgreSQL (a fresh schema per case), and what only the
 * postgres backend has: NOTIFY wake-ups and a LISTEN connection that survives losing its server.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import type { Bridge, BridgeSpec } from '../../src/bridge/index.ts';
import { LISTEN_APPLICATION_NAME } from '../../src/bridge/pg-listener.ts';
import { createPgBridge, type PgBridgeOptions } from '../../src/bridge/pg.ts';
import { isAgentnetError } from '../../src/errors.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { describeBridge } from '../conformance/bridge.case.ts';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/pg.ts';
import { runNode, waitFor } from '../helpers/util.ts';

const WORKER = new URL('../conformance/bridge-worker.ts', import.meta.url).pathname;
const skip = await pgSkipReason();

if (skip) {
  describe('postgres bridge', () => it('runs the bridge conformance suite against PostgreSQL', { skip }, () => {}));
} else {
  describeBridge({
    name: 'postgres',
    notApplicable: {
      rawInput: 'PostgreSQL stores each record whole in a transaction, validated first: no torn or malformed lines can reach it',
    },
    async create(logger) {
      const schema = freshSchema('bridge');
      const options = { url: PG_URL, schema, pollIntervalMs: 200, logger };
      // The suite does not close every reopened bridge; open pools would keep this process alive.
      const opened: Bridge[] = [];
      const open = async () => {
        const bridge = await createPgBridge(options);
        opened.push(bridge);
        return bridge;
      };
      return {
        bridge: await open(),
        spec: { backend: 'postgres', url: PG_URL, schema, pollIntervalMs: 200 },
        reopen: open,
        cleanup: async () => {
          for (const bridge of opened) await bridge.close();
          await dropSchema(schema);
        },
      };
    },
  });

  describe('postgres bridge: wake-ups', () => {
    let schema: string;
    const opened: Bridge[] = [];
    const open = async (options: Partial<PgBridgeOptions> = {}) => {
      const bridge = await createPgBridge({ url: PG_URL, schema, pollIntervalMs: 60_000, ...options });
      opened.push(bridge);
      return bridge;
    };
    /** A subscriber from the end whose poll (60 s) never runs during a test: only NOTIFY and reconnection wake it. */
    const subscribe = async (bridge: Bridge) => {
      const got: string[] = [];
      const sub = bridge.subscribe({ from: 'end' }, (m) => void got.push(m.id));
      await sub.ready;
      return got;
    };

    beforeEach(() => {
      schema = freshSchema('bridge');
    });
    afterEach(async () => {
      for (const bridge of opened.splice(0)) await bridge.close();
      await dropSchema(schema);
    });

    it('a subscriber gets a record appended by another process at once, through NOTIFY', async () => {
      const got = await subscribe(await open());
      const spec: BridgeSpec = { backend: 'postgres', url: PG_URL, schema };
      const r = await runNode([WORKER, JSON.stringify(spec), 'append', JSON.stringify({ from: 'kami', prefix: 'n', count: 3 })]);
      assert.equal(r.code, 0, r.stderr);
      await waitFor(() => got.length === 3, 'the records, long before the poll', 10_000);
      assert.deepEqual(got, ['n-0', 'n-1', 'n-2']);
    });

    it('a killed LISTEN connection reconnects and delivers what was appended meanwhile, once each', async () => {
      const logger = createMemoryLogger();
      const bridge = await open({ logger });
      const got = await subscribe(bridge);
      await bridge.append({ from: 'kami', type: 'request', content: 'before', id: 'before' });
      await waitFor(() => got.length === 1, 'the first record');

      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        const killed = await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query = $2',
          [LISTEN_APPLICATION_NAME, `LISTEN "bridge_${schema}"`],
        );
        assert.equal(killed.rowCount, 1, 'one LISTEN connection');
      } finally {
        await admin.end();
      }
      await waitFor(() => logger.entries.some((e) => e.msg?.startsWith('lost the PostgreSQL LISTEN connection')), 'the loss to be noticed');
      for (let i = 0; i < 5; i++) await bridge.append({ from: 'kami', type: 'request', content: 'meanwhile', id: `meanwhile-${i}` });
      await waitFor(() => got.length === 6, 'the records appended while not listening');
      await waitFor(() => logger.entries.some((e) => e.msg === 'listening for bridge notifications again'), 'the reconnection');
      const sent = performance.now();
      await bridge.append({ from: 'kami', type: 'request', content: 'after', id: 'after' });
      await waitFor(() => got.length === 7, 'a record notified on the new connection');
      // No duplicate follows: a window three times as long as that delivery took (at least 200 ms).
      await sleep(Math.max(200, 3 * (performance.now() - sent)));
      assert.deepEqual(got, ['before', ...Array.from({ length: 5 }, (_, i) => `meanwhile-${i}`), 'after']);
    });

    it('while PostgreSQL is unreachable appends fail with BRIDGE_WRITE_FAILED, and delivery resumes after', async () => {
      const upstream = new URL(PG_URL);
      const proxy = await startProxy(upstream.hostname, Number(upstream.port || 5432));
      const viaProxy = new URL(PG_URL);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      viaProxy.password = 'secret';
      try {
        const logger = createMemoryLogger();
        const bridge = await open({ url: viaProxy.toString(), logger });
        const got = await subscribe(bridge);
        await proxy.stop(); // as a restarting server: every connection drops, new ones are refused
        await assert.rejects(
          bridge.append({ from: 'kami', type: 'request', content: 'lost' }),
          (e) => isAgentnetError(e, 'BRIDGE_WRITE_FAILED') && /unreachable/.test(e.message) && e.message.includes(':***@') && !e.message.includes('secret'),
        );
        const direct = await open();
        await direct.append({ from: 'kami', type: 'request', content: 'while down', id: 'while-down' });
        await proxy.start();
        await waitFor(() => got.length === 1, 'the record appended while the subscriber was cut off');
        const sent = performance.now();
        await bridge.append({ from: 'kami', type: 'request', content: 'back', id: 'back' });
        await waitFor(() => got.length === 2, 'an append through the restored connection');
        // No duplicate follows: a window three times as long as that delivery took (at least 200 ms).
        await sleep(Math.max(200, 3 * (performance.now() - sent)));
        assert.deepEqual(got, ['while-down', 'back']);
      } finally {
        await proxy.stop();
      }
    });
  });
}

/** A TCP proxy to PostgreSQL that can be cut off (every connection dropped, none accepted) and restored on the same port. */
async function startProxy(host: string, port: number) {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.on('close', () => sockets.delete(s));
  };
  const server = createServer((client) => {
    const target = connect(port, host);
    track(client);
    track(target);
    client.pipe(target).pipe(client);
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
  });
  const listen = (at: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(at, '127.0.0.1', () => resolve()));
  await listen(0);
  const proxyPort = (server.address() as { port: number }).port;
  return {
    port: proxyPort,
    start: () => listen(proxyPort),
    stop: async () => {
      if (!server.listening) return;
      const stopped = new Promise((resolve) => server.close(resolve));
      for (const s of sockets) s.destroy();
      await stopped;
    },
  };
}
