/** A small HTTP endpoint for a provider's webhook: one path, a token checked in constant time, a body limit. */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { ChannelError } from './channel.ts';

// Not an ESM import of node:http (it loads undici, tls, http2): see agent/health.ts.
const { createServer } = process.getBuiltinModule('node:http');

export interface WebhookEndpointOptions {
  host: string;
  port: number;
  /** The expected token; `present` says what the request offered. */
  token: string;
  present: (headers: import('node:http').IncomingHttpHeaders) => string | undefined;
  /** Handles a parsed JSON body; resolves with the HTTP status to answer. */
  handle: (body: unknown) => Promise<number>;
  maxBytes?: number;
}

/** Compares hashes so neither the content nor the length of the token leaks through timing. */
export function sameToken(given: string | undefined, expected: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return given !== undefined && timingSafeEqual(h(given), h(expected));
}

export async function startWebhookEndpoint(o: WebhookEndpointOptions): Promise<{ url: string; close(): Promise<void> }> {
  const max = o.maxBytes ?? 1_000_000;
  const server: Server = createServer((req, res) => {
    const answer = (status: number, text = '') => void res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    if (req.method !== 'POST') return answer(405, 'POST only');
    if (!sameToken(o.present(req.headers), o.token)) {
      req.resume();
      return answer(401, 'unauthorized');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        answer(413, 'too large');
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (size > max) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(400, 'body is not JSON');
      }
      o.handle(body).then(
        (status) => answer(status, status === 200 ? 'ok' : 'try again'),
        () => answer(500, 'try again'),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ChannelError(`cannot listen for webhooks on ${o.host}:${o.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`, { retryable: false, cause: err })),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as { port: number };
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${addr.port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
