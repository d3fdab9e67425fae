/** The dashboard's page of one request's timeline (`agentnet trace`'s table, as HTML). */
import type { Timeline } from '../agent/timeline.ts';
import { esc } from './render.ts';

const duration = (ms: number) => (Math.abs(ms) < 1000 ? `${Math.round(ms)} ms` : Math.abs(ms) < 60_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 60_000).toFixed(1)} min`);

const CSS = `body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f8fafc;color:#0f172a}main{max-width:1100px;margin:0 auto;padding:12px}
h1{font-size:1.2rem}table{border-collapse:collapse;width:100%;background:#fff}td,th{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;font-size:.88rem;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.stopped{color:#991b1b;font-weight:600}.complete{color:#166534;font-weight:600}code{word-break:break-all}`;

/** The page: one row per hop, then where the request stopped (if it did). */
export function renderTracePage(network: string, t: Timeline): string {
  const rows = t.hops
    .map(
      (h) =>
        `<tr data-hop="${esc(h.hop)}"><td class="n">${esc(new Date(h.at).toISOString().slice(11, 23))}</td><td class="n">+${esc(duration(h.sinceStartMs))}</td><td class="n">${esc(duration(h.tookMs))}</td><td>${esc(h.hop)}</td><td>${esc(h.agent)}</td><td><code>${esc(h.ref)}</code></td><td>${esc(Object.entries(h.detail ?? {}).map(([k, v]) => `${k}=${v}`).join(' '))}</td></tr>`,
    )
    .join('\n');
  const state = t.complete
    ? `<p class="complete" data-testid="trace-state">complete: ${esc(duration(t.totalMs))} from the first hop to the last</p>`
    : `<p class="stopped" data-testid="trace-state">stopped: ${esc(t.stopped?.waiting)}, for ${esc(duration(t.stopped?.forMs ?? 0))}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>trace ${esc(t.trace)} · ${esc(network)}</title><style>${CSS}</style></head><body><main>
<p><a href="../">← ${esc(network)}</a></p>
<h1>Trace <code>${esc(t.trace)}</code></h1>
${state}
<table><thead><tr><th>time (UTC)</th><th>since start</th><th>took</th><th>hop</th><th>agent</th><th>ref</th><th>detail</th></tr></thead>
<tbody>${rows}</tbody></table>
</main></body></html>`;
}
