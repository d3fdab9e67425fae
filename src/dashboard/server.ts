/**
 * The dashboard's HTTP server: the page, its two scripts (htmx and its SSE extension, served
 * from node_modules so the page works offline), server-sent events with the regions that
 * changed, and the controls (`controls.ts`: pause, resume, retry a dead task, approve, deny).
 *
 * Security: bound to 127.0.0.1 unless configured. A token is required whenever the host is not
 * loopback (or one is configured); a browser presents it once as ?token= and then carries it in
 * an HttpOnly, SameSite=Strict cookie. Controls are POSTs that must carry htmx's HX-Request
 * header, which a cross-site form cannot send, and no Origin but the page's own; on loopback the
 * Host header must be a loopback name, so a DNS-rebinding page cannot reach it either.
 */
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { hostHeaderAllowed, isLoopbackHost } from '../agent/health.ts';
import { buildTimeline } from '../agent/timeline.ts';
import { isTraceId, type Bridge } from '../bridge/index.ts';
import { storeIsLocalFile, storeSpec, type Config } from '../config/index.ts';
import { AgentnetError, errnoCode, isAgentnetError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { openStore, type Store } from '../store/index.ts';
import { controlRefusal, runControl } from './controls.ts';
import { FRAGMENTS, renderFragments, renderPage, type Fragment } from './render.ts';
import { collectDashboard, type DashboardState } from './state.ts';
import { renderTracePage } from './trace-page.ts';

// Not an ESM import of node:http (it loads undici, tls, http2): see agent/health.ts.
const { createServer } = process.getBuiltinModule('node:http');

export interface DashboardOptions {
  config: Config;
  bridge: Bridge;
  /** When absent, the configured store is opened once it exists: the dashboard never creates it (an agent does). */
  store?: Store;
  host?: string;
  port?: number;
  token?: string;
  /** How often the state is gathered while someone watches. Default 1000 ms. */
  refreshMs?: number;
  logger: Logger;
}

export interface Dashboard {
  /** The address to open; carries the token when one is required. */
  readonly url: string;
  readonly tokenRequired: boolean;
  close(): Promise<void>;
}

const COOKIE = 'agentnet_dashboard';
/** Bound to every address: the token is the guard, the public name is not known. */
const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';

const require = createRequire(import.meta.url);
const ASSETS: Record<string, string> = {
  '/assets/htmx.min.js': 'htmx.org/dist/htmx.min.js',
  '/assets/sse.min.js': 'htmx-ext-sse/dist/sse.min.js',
};
const assetCache = new Map<string, string>();
function asset(path: string): string {
  let text = assetCache.get(path);
  if (text === undefined) assetCache.set(path, (text = readFileSync(require.resolve(ASSETS[path]!), 'utf8')));
  return text;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameToken = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** SSE framing: an event name and its data, one `data:` line per line of HTML. */
const sseEvent = (name: string, data: string) => `event: ${name}\n${data.split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`;

/** A request's timeline (`/trace/ID`, or `/api/trace/ID` for JSON): what `agentnet trace` prints, as a page. */
async function serveTrace(res: ServerResponse, headers: Record<string, string>, config: Config, store: Store | undefined, id: string, as: 'html' | 'json'): Promise<void> {
  const hops = isTraceId(id) && store ? await store.traces.hops(id) : [];
  if (hops.length === 0) return void res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('no hops recorded for this trace (yet): its agents record them as the request moves\n');
  const timeline = buildTimeline(id, hops, new Set(Object.keys(config.agents)));
  if (as === 'json') return void res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(timeline));
  const csp = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'";
  res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(renderTracePage(config.network, timeline));
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? o.config.dashboard.host;
  const port = o.port ?? o.config.dashboard.port;
  const tokenRequired = !isLoopbackHost(host) || (o.token ?? o.config.dashboard.token) !== undefined;
  const token = o.token ?? o.config.dashboard.token ?? (tokenRequired ? randomBytes(18).toString('base64url') : undefined);
  const refreshMs = o.refreshMs ?? 1000;
  // The Host header is checked unless the dashboard listens on every address (then the token guards it):
  // loopback names (DNS rebinding), and the configured host itself when a token is required.
  const checkHost = !isWildcard(host);
  const publicNames = tokenRequired && !isLoopbackHost(host) ? [host] : [];
  let boundPort = port;
  let store = o.store;
  const s = o.config.store;
  const openExisting = async () => (!storeIsLocalFile(o.config) || existsSync(s.path) ? openStore(storeSpec(o.config)) : undefined);

  let latest: { state: DashboardState; fragments: Record<Fragment, string> } | undefined;
  const clients = new Set<{ res: ServerResponse; sent: Partial<Record<Fragment, string>> }>();
  let timer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;

  /** When the gathering that produced `latest` started (performance.now()). */
  let latestFrom = -1;
  const gather = async () => {
    const started = performance.now();
    store ??= await openExisting().catch((err) => void o.logger.debug({ err: (err as Error).message }, 'store not open; the page shows the bridge alone and tries again'));
    const state = await collectDashboard(o.config, o.bridge, store);
    latest = { state, fragments: renderFragments(state) };
    latestFrom = started;
    for (const c of clients) push(c);
  };
  /** One gathering at a time; callers share it. */
  const refresh = () => (refreshing ??= gather().catch((err: Error) => o.logger.warn({ err: err.message }, 'dashboard: could not gather the state')).finally(() => (refreshing = undefined)));
  /** The state as of this request: a gathering already under way when it came in may predate it. */
  const current = async () => {
    const asked = performance.now();
    await refresh();
    if (latestFrom < asked) await refresh();
  };
  const push = (c: { res: ServerResponse; sent: Partial<Record<Fragment, string>> }) => {
    if (!latest) return;
    for (const name of FRAGMENTS) {
      const html = latest.fragments[name];
      if (c.sent[name] === html) continue;
      c.sent[name] = html;
      c.res.write(sseEvent(name, html));
    }
  };
  const schedule = () => {
    if (timer || clients.size === 0) return;
    timer = setInterval(() => void refresh(), refreshMs);
  };

  const authorized = (req: IncomingMessage, url: URL): 'ok' | 'cookie' | false => {
    if (!token) return 'ok';
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const given = bearer ?? cookieToken(req);
    if (given !== undefined && sameToken(given, token)) return 'ok';
    const q = url.searchParams.get('token');
    return q !== null && sameToken(q, token) ? 'cookie' : false;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: Error) => {
      o.logger.error({ err: err.message }, 'dashboard request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(isAgentnetError(err) ? err.message : 'internal error\n');
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    if (checkHost && !hostHeaderAllowed(req.headers.host, boundPort, publicNames)) {
      return void res.writeHead(421, { ...headers, 'content-type': 'text/plain' }).end(`this dashboard answers only to ${[...publicNames, '127.0.0.1', 'localhost', '[::1]'].join(' / ')} with port ${boundPort}\n`);
    }
    const auth = authorized(req, url);
    if (!auth) return void res.writeHead(401, { ...headers, 'content-type': 'text/plain' }).end('a token is required: open the address agentnet printed (with ?token=), or send Authorization: Bearer TOKEN\n');
    if (auth === 'cookie') {
      // Trade the token in the address for a cookie, and drop it from the address bar.
      url.searchParams.delete('token');
      res.writeHead(303, { ...headers, location: url.pathname + url.search, 'set-cookie': `${COOKIE}=${encodeURIComponent(token!)}; HttpOnly; SameSite=Strict; Path=/` });
      return void res.end();
    }

    if (req.method === 'GET' && ASSETS[url.pathname]) {
      return void res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600', 'x-content-type-options': 'nosniff' }).end(asset(url.pathname));
    }
    if (req.method === 'GET' && url.pathname === '/') {
      // Every load shows the state now: the snapshot is refreshed on its own only while someone watches live.
      await current();
      const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'";
      return void res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(renderPage(latest!.state));
    }
    const trace = /^\/(api\/)?trace\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && trace) {
      store ??= await openExisting();
      return serveTrace(res, headers, o.config, store, decodeURIComponent(trace[2]!), trace[1] ? 'json' : 'html');
    }
    if (req.method === 'GET' && url.pathname === '/api/state') {
      await current();
      return void res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(latest!.state));
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      const client = { res, sent: {} };
      clients.add(client);
      req.on('close', () => {
        clients.delete(client);
        if (clients.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      });
      schedule();
      await current();
      push(client);
      return;
    }
    if (req.method === 'POST') {
      const refused = controlRefusal(req);
      if (refused) return void res.writeHead(403, { ...headers, 'content-type': 'text/plain' }).end(refused + '\n');
      store ??= await openExisting();
      const reply = await runControl(url.pathname, o.config, store);
      if (!reply) return void res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('no such control\n');
      if (reply.changed) {
        o.logger.info({ control: url.pathname }, `dashboard: ${reply.changed}`);
        // Gathered after the change, so every open page shows it now.
        await current();
      }
      return void res.writeHead(reply.status, { ...headers, ...reply.headers }).end(reply.body);
    }
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n');
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      if (errnoCode(err) === 'EADDRINUSE') reject(new AgentnetError('DASHBOARD_PORT_IN_USE', `dashboard port ${host}:${port} is in use: is a dashboard already running? Otherwise set dashboard.port (or --port).`, { cause: err }));
      else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
  boundPort = (server.address() as { port: number }).port;
  server.headersTimeout = 5_000;
  server.requestTimeout = 0; // the event stream stays open
  server.maxConnections = 64;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const base = `http://${shown.includes(':') ? `[${shown}]` : shown}:${(server.address() as { port: number }).port}/`;
  return {
    url: token && tokenRequired ? `${base}?token=${encodeURIComponent(token)}` : base,
    tokenRequired,
    close: () =>
      new Promise((resolve) => {
        if (timer) clearInterval(timer);
        for (const c of clients) c.res.end();
        // A store this dashboard opened itself is its to close.
        const own = store !== o.store ? store : undefined;
        server.close(() => void Promise.resolve(own?.close()).finally(resolve));
        server.closeAllConnections();
      }),
  };
}
