/**
 * http_get: fetches a URL on an allow-listed host (exact, or `*.example.com`); redirects are not
 * followed. A name that resolves to a loopback, private or link-local address is refused unless
 * the owner listed that exact host (so a wildcard cannot be pointed at 169.254.169.254).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { defineTool, ToolRefusal, type Tool } from './tool.ts';

export function hostAllowed(hostname: string, hosts: string[]): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return hosts.some((p) => {
    const pat = p.toLowerCase();
    return pat.startsWith('*.') ? h.endsWith(pat.slice(1)) && h.length > pat.length - 1 : h === pat;
  });
}

/** Loopback, private, link-local, CGNAT and unspecified addresses (IPv4, IPv6, v4-mapped). */
export function isInternalAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  const x = ip.toLowerCase();
  return x === '::' || x === '::1' || x.startsWith('fc') || x.startsWith('fd') || x.startsWith('fe8') || x.startsWith('fe9') || x.startsWith('fea') || x.startsWith('feb');
}

const LIMIT = 16_000;

/** Why `url` is refused before any lookup (not a URL, not http(s), credentials, a host off the list), or undefined. */
function urlRefusal(url: string, hosts: string[]): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `only http and https, not ${u.protocol}`;
  if (u.username || u.password) return 'URLs with credentials are refused';
  if (!hostAllowed(u.hostname, hosts)) return `host ${u.hostname} is not on the allow-list (${hosts.join(', ')})`;
  return undefined;
}

export function httpGetTool(hosts: string[], timeoutMs = 15_000): Tool {
  return defineTool(
    'http_get',
    `GET a URL and read the response (status, content type, body up to 16 kB). Allowed hosts: ${hosts.join(', ')}.`,
    z.object({ url: z.string().describe('an http(s) URL') }),
    async ({ url }, ctx) => {
      const why = urlRefusal(url, hosts);
      if (why) throw new ToolRefusal(why);
      const u = new URL(url);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      const listedExactly = hosts.some((h) => h.toLowerCase() === host.toLowerCase());
      if (!listedExactly) {
        const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
        const internal = addresses.find((a) => isInternalAddress(a.address));
        if (internal) throw new ToolRefusal(`host ${host} resolves to the internal address ${internal.address}; list it exactly to allow it`);
      }
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      const res = await fetch(u, { redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        return `HTTP ${res.status} redirect to ${res.headers.get('location') ?? '?'} (not followed)`;
      }
      // Read no more than we return: a huge body must not fill the agent's memory.
      const chunks: Uint8Array[] = [];
      let size = 0;
      const reader = res.body?.getReader();
      while (reader && size <= LIMIT) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
      }
      if (size > LIMIT) await reader?.cancel();
      const body = Buffer.concat(chunks).toString('utf8');
      return `HTTP ${res.status} ${res.headers.get('content-type') ?? ''}\n${size > LIMIT ? `${body.slice(0, LIMIT)}\n[truncated]` : body}`;
    },
    ({ url }) => urlRefusal(url, hosts),
  );
}
