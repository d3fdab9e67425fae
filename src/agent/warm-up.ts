/**
 * Node compiles its HTTP client (undici, and llhttp, its parser in WebAssembly) on the first
 * fetch: 15–20 ms on an idle machine, several times that while the other agents start beside
 * it. An agent pays that before its health port opens, with one request to a throwaway server
 * on loopback, rather than on its first call to a provider while a /health probe waits.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function warmHttpClient(): Promise<void> {
  const server = createServer((_req, res) => res.end()).listen(0, '127.0.0.1');
  try {
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })).arrayBuffer();
  } catch {
    // Only a warm-up: the first real request compiles what this did not.
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
