/** http_get: fetches a URL on an allow-listed host (exact, or `*.example.com`); redirects are not followed. */
import { z } from 'zod';
import { defineTool, ToolRefusal, type Tool } from './tool.ts';

export function hostAllowed(hostname: string, hosts: string[]): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return hosts.some((p) => {
    const pat = p.toLowerCase();
    return pat.startsWith('*.') ? h.endsWith(pat.slice(1)) && h.length > pat.length - 1 : h === pat;
  });
}

export function httpGetTool(hosts: string[], timeoutMs = 15_000): Tool {
  return defineTool(
    'http_get',
    `GET a URL and read the response (status, content type, body up to 16 kB). Allowed hosts: ${hosts.join(', ')}.`,
    z.object({ url: z.string().describe('an http(s) URL') }),
    async ({ url }, ctx) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        throw new ToolRefusal(`"${url}" is not a URL`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ToolRefusal(`only http and https, not ${u.protocol}`);
      if (u.username || u.password) throw new ToolRefusal('URLs with credentials are refused');
      if (!hostAllowed(u.hostname, hosts)) throw new ToolRefusal(`host ${u.hostname} is not on the allow-list (${hosts.join(', ')})`);
      const signal = ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      const res = await fetch(u, { redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400) return `HTTP ${res.status} redirect to ${res.headers.get('location') ?? '?'} (not followed)`;
      const body = await res.text();
      return `HTTP ${res.status} ${res.headers.get('content-type') ?? ''}\n${body.length > 16_000 ? `${body.slice(0, 16_000)}\n[truncated]` : body}`;
    },
  );
}
