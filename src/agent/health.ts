/**
 * An agent's health endpoint: `GET /health` (the seed's fields first, then agent, role, paused)
 * and `GET /metrics` in Prometheus text format. Bound to 127.0.0.1 unless configured.
 */
import type { Server } from 'node:http';
import type { ChannelReport } from '../channels/index.ts';
import { AgentnetError, errnoCode } from '../errors.ts';
import type { AgentStats } from './stats.ts';

// process.getBuiltinModule, not `import from 'node:http'`: an ESM import of node:http fills
// its namespace through every lazy getter (http.WebSocket loads undici, tls, http2, zlib:
// +12 MiB resident in every agent). See bench/README.md.
const { createServer } = process.getBuiltinModule('node:http');

export type HealthStatus = 'ok' | 'paused' | 'degraded';

export interface HealthReport {
  status: HealthStatus;
  uptime: number;
  lastActivity: string | null;
  messagesProcessed: number;
  agent: string;
  role: string;
  paused: boolean;
  pid: number;
  /** Why the agent is degraded, when it is. */
  problems?: string[];
  /** The model's use today (UTC), against the budget when one is set. */
  usage?: ModelUsage;
  /** A relay's channel: its state, problems, last receive cycle and last canary (README "Channel health"). */
  channel?: ChannelReport;
}

export interface ModelUsage {
  model: string;
  tokensToday: number;
  /** null when no price is known for the model. */
  costTodayUsd: number | null;
  tokensPerDay?: number;
  costPerDayUsd?: number;
}

/** A literal loopback name or address: `localhost`, any 127.x.y.z, `::1` (with or without brackets). Never a DNS name that merely starts with 127. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255);
}

/**
 * Whether a request's Host header names this server: a loopback name or address (or one of
 * `names`) with the server's port. A DNS-rebinding page reaches a loopback server under the
 * attacker's host name (`127.0.0.1.nip.io`, `127.attacker.example`), so that is refused.
 */
export function hostHeaderAllowed(header: string | undefined, port: number, names: readonly string[] = []): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(header ?? '');
  if (!m) return false;
  const name = m[1]!.toLowerCase();
  const named = isLoopbackHost(name) || names.some((n) => n.toLowerCase().replace(/^\[(.*)\]$/, '$1') === name.replace(/^\[(.*)\]$/, '$1'));
  return named && Number(m[2] ?? 80) === port;
}

export interface HealthServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startHealthServer(options: {
  host: string;
  port: number;
  report: () => HealthReport;
  stats: AgentStats;
}): Promise<HealthServer> {
  let metrics: ((stats: AgentStats) => Promise<{ contentType: string; body: string }>) | undefined;
  // On loopback, /metrics answers only to loopback names (no DNS rebinding); /health stays open to the peers' probes.
  const checkHost = isLoopbackHost(options.host);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/metrics' && checkHost && !hostHeaderAllowed(req.headers.host, (server.address() as { port: number }).port)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('these metrics answer only to 127.0.0.1 / localhost / [::1] with this port\n');
    } else if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(options.report()));
    } else if (path === '/metrics') {
      // prom-client is loaded on the first scrape, so an agent nobody scrapes never pays for it.
      void (async () => {
        metrics ??= (await import('./metrics.ts')).renderMetrics;
        const { contentType, body } = await metrics(options.stats);
        res.writeHead(200, { 'content-type': contentType }).end(body);
      })().catch((err: Error) => res.writeHead(500).end(err.message));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /health or /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      if (errnoCode(err) === 'EADDRINUSE') {
        reject(new AgentnetError('HEALTH_PORT_IN_USE', `health port ${options.host}:${options.port} is in use: is this agent already running? Otherwise give it another health.port.`, { cause: err }));
      } else reject(err);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  // A slow or hostile client must not hold connections open, nor delay a stop.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 64;
  server.unref();
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
