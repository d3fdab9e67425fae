/**
 * The dashboard's HTML, rendered on the server: one fragment per live region, swapped in by
 * htmx's SSE extension when it changes. Everything from outside (message text, names, errors,
 * an approval's action and arguments) goes through `esc`, so a hostile WhatsApp message or
 * command line cannot inject markup.
 */
import { traceOf, type BridgeMessage } from '../bridge/index.ts';
import { channelSummary, type AgentStatus } from '../agent/network-status.ts';
import { describeAction, type Approval, type Task } from '../store/index.ts';
import { describeMissed, describeRun, type ScheduleOverview } from '../tasks/overview.ts';
import { utcTime } from '../tasks/slots.ts';
import type { DashboardState } from './state.ts';

export const FRAGMENTS = ['header', 'approvals', 'agents', 'activity', 'charts', 'dead', 'tasks', 'audit'] as const;
export type Fragment = (typeof FRAGMENTS)[number];

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);

const ago = (iso: string | null | undefined, now: number) => {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : s < 172800 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86400)}d ago`;
};
const duration = (s: number) => (s < 90 ? `${Math.round(s)}s` : s < 5400 ? `${Math.round(s / 60)}m` : s < 172800 ? `${(s / 3600).toFixed(1)}h` : `${(s / 86400).toFixed(1)}d`);
const clip = (text: string, max = 280) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const time = (iso: string) => iso.slice(11, 19);

const TYPE_COLORS: Record<string, string> = { request: '#2563eb', response: '#16a34a', notification: '#d97706' };

function header(s: DashboardState): string {
  const p = s.status.pause;
  const q = s.queue;
  const pill = p.paused ? `<span class="pill paused" data-testid="network-state">paused</span>` : `<span class="pill ok" data-testid="network-state">running</span>`;
  const button = p.paused
    ? `<button hx-post="api/resume" hx-swap="none" data-testid="resume">Resume</button>`
    : `<button hx-post="api/pause" hx-swap="none" data-testid="pause" hx-confirm="Pause the whole network? Agents finish what is in hand and take nothing new.">Pause network</button>`;
  return `<div class="bar"><h1>${esc(s.status.network)} ${pill}</h1>${button}</div>
<p class="meta">${p.paused ? `paused${p.reason ? ` (${esc(p.reason)})` : ''}${p.by ? ` by ${esc(p.by)}` : ''} ${esc(ago(p.since, Date.parse(s.at)))} · ` : ''}<span data-testid="pending">${s.status.pending}</span> pending bridge message${s.status.pending === 1 ? '' : 's'}${s.status.inbox ? ` · <span data-testid="inbox">${s.status.inbox}</span> unread answer${s.status.inbox === 1 ? '' : 's'}` : ''}${q ? ` · queue: ${q.queued} queued, ${q.running} running, ${q.dead} dead` : ''} · updated ${esc(time(s.at))}</p>`;
}

function usage(a: AgentStatus): string {
  const u = a.health?.usage;
  if (!u) return '—';
  if (u.model === 'offline') return 'offline model';
  const cost = u.costTodayUsd === null ? '' : ` · $${u.costTodayUsd.toFixed(2)}${u.costPerDayUsd ? ` of $${u.costPerDayUsd.toFixed(2)}` : ''}`;
  return `${u.tokensToday.toLocaleString('en')}${u.tokensPerDay ? ` of ${u.tokensPerDay.toLocaleString('en')}` : ''} tokens${cost}`;
}

function agents(s: DashboardState): string {
  const now = Date.parse(s.at);
  return s.status.agents
    .map(
      (a) => `<article class="agent ${a.state}" data-agent="${esc(a.agent)}">
  <header><b>${esc(a.agent)}</b> <span class="role">${esc(a.role)}</span> <span class="pill ${a.state}" data-testid="state">${a.state}</span></header>
  <dl>
    <dt>uptime</dt><dd>${a.health ? duration(a.health.uptime) : esc(a.error ?? '—')}</dd>
    <dt>last activity</dt><dd>${esc(ago(a.health?.lastActivity, now))}</dd>
    <dt>processed</dt><dd data-testid="processed">${a.health?.messagesProcessed ?? '—'}</dd>
    <dt>pending</dt><dd>${a.pending}</dd>
    <dt>model today</dt><dd>${esc(usage(a))}</dd>
    ${a.health?.problems?.length ? `<dt>problems</dt><dd>${esc(a.health.problems.join(', '))}</dd>` : ''}
    ${a.health?.channel ? `<dt>channel</dt><dd data-testid="channel">${esc(channelSummary(a.health.channel, (iso) => ago(iso, now)))}</dd>` : ''}
    ${a.watched ? `<dt>watch</dt><dd>${esc(`${a.watched.state} since ${ago(a.watched.since, now)} (${a.watched.by})`)}</dd>` : ''}
  </dl>
</article>`,
    )
    .join('\n');
}

/** An agent's pending message is work waiting; one addressed to a person is unread (agentnet inbox). */
function statusPill(m: BridgeMessage, agents: Set<string>): string {
  const unread = m.status === 'pending' && m.to !== undefined && !agents.has(m.to);
  return unread ? '<span class="pill unread" title="in the inbox: agentnet inbox">unread</span>' : `<span class="pill ${esc(m.status)}">${esc(m.status)}</span>`;
}

function message(m: BridgeMessage, now: number, agents: Set<string>): string {
  const alert = m.type === 'notification' && (m.metadata?.alert !== undefined || m.metadata?.priority === 'high');
  return `<div class="msg ${esc(m.type)}${alert ? ' alert' : ''}">
  <div class="who"><span class="t">${esc(time(m.ts))}</span> ${esc(m.from)} → ${esc(m.to ?? '—')} <span class="type">${esc(m.type)}</span> ${statusPill(m, agents)} <span class="ago">${esc(ago(m.ts, now))}</span></div>
  <div class="text">${esc(clip(m.content))}</div>
</div>`;
}

function activity(s: DashboardState): string {
  if (s.threads.length === 0) return '<p class="empty">No bridge messages yet. Send one: <code>agentnet bridge send --to claude hello</code></p>';
  const now = Date.parse(s.at);
  const names = new Set(s.status.agents.map((a) => a.agent));
  // Each conversation links to its timeline: every hop of the request, and where it stopped.
  const timeline = (m: BridgeMessage) => `<a class="trace" href="trace/${esc(traceOf(m))}" data-testid="trace">timeline</a>`;
  return s.threads.map((t) => `<div class="thread">${message(t.request, now, names)}${t.responses.map((r) => `<div class="reply">${message(r, now, names)}</div>`).join('')}${timeline(t.request)}</div>`).join('\n');
}

/** One small stacked bar chart per agent: messages it sent per minute, by type. */
function charts(s: DashboardState): string {
  const senders = Object.keys(s.counts).sort();
  if (senders.length === 0) return `<p class="empty">No messages in the last ${s.minutes} minutes.</p>`;
  const W = 300;
  const H = 60;
  const bw = W / s.minutes;
  const legend = Object.entries(TYPE_COLORS).map(([t, c]) => `<span><i style="background:${c}"></i>${t}</span>`).join(' ');
  return (
    `<p class="legend">${legend} · last ${s.minutes} minutes, per minute</p>` +
    senders
      .map((agent) => {
        const byType = s.counts[agent]!;
        const totals = new Array<number>(s.minutes).fill(0);
        for (const series of Object.values(byType)) series.forEach((n, i) => (totals[i]! += n));
        const max = Math.max(1, ...totals);
        const sum = totals.reduce((a, b) => a + b, 0);
        const bars: string[] = [];
        for (let i = 0; i < s.minutes; i++) {
          let y = H;
          for (const [type, series] of Object.entries(byType)) {
            const h = (series[i]! / max) * (H - 4);
            if (h <= 0) continue;
            y -= h;
            bars.push(`<rect x="${(i * bw + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${TYPE_COLORS[type] ?? '#64748b'}"><title>${esc(type)}: ${series[i]}</title></rect>`);
          }
        }
        const byTypeText = Object.entries(byType).map(([t, series]) => `${series.reduce((a, b) => a + b, 0)} ${t}`).join(', ');
        return `<figure class="chart" data-agent="${esc(agent)}"><figcaption><b>${esc(agent)}</b> <span data-testid="count">${sum}</span> sent (${esc(byTypeText)})</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(agent)} messages per minute">${bars.join('')}<line x1="0" y1="${H - 0.5}" x2="${W}" y2="${H - 0.5}" stroke="#cbd5e1"/></svg></figure>`;
      })
      .join('\n')
  );
}

function taskRow(t: Task, now: number): string {
  return `<li class="task ${t.state}" data-task="${esc(t.id)}"><span class="pill ${t.state}">${t.state}</span> <b>${esc(t.kind)}</b> <span class="ago">${esc(ago(t.updatedAt, now))}</span> attempt ${t.attempts}/${t.maxAttempts}${t.lastError && t.state !== 'done' ? `<div class="err">${esc(clip(t.lastError, 200))}</div>` : ''}</li>`;
}

/**
 * A dead-lettered task with its Retry button. Its time is a clock time, so the row changes only
 * when the task does: a button replaced under the pointer (every second, with `3s ago`) loses the click.
 */
function deadRow(t: Task): string {
  return `<li class="task dead" data-task="${esc(t.id)}"><span class="pill dead">dead</span> <b>${esc(t.kind)}</b> since ${utc(t.updatedAt)} attempt ${t.attempts}/${t.maxAttempts}${t.lastError ? `<div class="err">${esc(clip(t.lastError, 200))}</div>` : ''} <button hx-post="api/tasks/${encodeURIComponent(t.id)}/retry" hx-swap="none" data-testid="retry">Retry</button></li>`;
}

/** One schedule: its last run, next run and missed runs, as `agentnet schedules` says them. */
function scheduleRow(o: ScheduleOverview): string {
  const state = o.lastRun?.outcome ?? 'none';
  return `<li class="task schedule" data-schedule="${esc(`${o.agent}/${o.schedule}`)}"><span class="pill ${esc(state)}">${esc(state)}</span> <b>${esc(o.agent)}/${esc(o.schedule)}</b> <code>${esc(o.cron)}</code> ${esc(o.task)}
<div>last: ${esc(o.lastRun ? describeRun(o.lastRun) : 'none yet')}</div><div>next: ${esc(o.next ? utcTime(o.next) : 'none')}</div><div${o.missed.slots ? ' class="err"' : ''} data-testid="missed">missed: ${esc(describeMissed(o.missed))}</div></li>`;
}

function tasks(s: DashboardState): string {
  if (!s.queue) return '<p class="empty">No store yet: it is created when an agent that needs it starts.</p>';
  const now = Date.parse(s.at);
  const schedules = s.schedules.length ? `<h3>Schedules</h3><ul>${s.schedules.map(scheduleRow).join('')}</ul>` : '';
  const recent = s.tasks.length ? `<h3>Recent</h3><ul>${s.tasks.map((t) => taskRow(t, now)).join('')}</ul>` : '<p class="empty">No tasks yet.</p>';
  return schedules + recent;
}

/** The dead-lettered tasks: a region of their own, which changes only when they do. */
function dead(s: DashboardState): string {
  return s.queue && s.dead.length ? `<h3>Dead-lettered</h3><ul>${s.dead.map(deadRow).join('')}</ul>` : '';
}

/** A time as `3m ago`, the exact time on hover. */
const when = (iso: string, now: number) => `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(ago(iso, now))}</time>`;

/** What came of an approved action that ran: its report's summary, or why it failed. */
function outcomeText(outcome: unknown): string {
  const o = (outcome ?? {}) as { summary?: unknown; failed?: unknown };
  if (typeof o.summary === 'string') return o.summary;
  if (typeof o.failed === 'string') return `failed: ${o.failed}`;
  return JSON.stringify(outcome) ?? '';
}

/** The code, who asks, and the action with its exact arguments (never clipped: it is what the owner says yes to). */
const approvalHead = (a: Approval) =>
  `<span class="code" title="the code the owner answers with on the phone">${esc(a.code)}</span> <b>${esc(a.agent)}</b> <code class="action" data-testid="action">${esc(describeAction(a.action))}</code>`;

/** A clock time as the owner's phone says it (`09:10 UTC`), the exact time on hover. */
const utc = (iso: string) => `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(iso.slice(11, 16))} UTC</time>`;

/**
 * A request with its buttons. Its times are clock times and whole minutes, as on the phone, so
 * the region changes once a minute at most: a button replaced under the pointer loses the click.
 */
function pendingApproval(a: Approval, now: number): string {
  const left = Date.parse(a.expiresAt) - now;
  const path = esc(`api/approvals/${encodeURIComponent(a.id)}`);
  const buttons = left > 0
    ? `<div class="decide"><button class="approve" hx-post="${path}/approve" hx-target="#approval-result" hx-confirm="${esc(`Approve ${a.code}? ${a.agent} runs ${describeAction(a.action)}`)}" data-testid="approve">Approve</button><button class="deny" hx-post="${path}/deny" hx-target="#approval-result" data-testid="deny">Deny</button></div>`
    : '';
  const expiry = left > 0 ? `expires in <span data-testid="expires">${Math.ceil(left / 60_000)} min</span> (${utc(a.expiresAt)})` : '<span class="pill expired">lapsed, not answered</span>';
  return `<li class="approval pending" data-approval="${esc(a.id)}">${approvalHead(a)}
<div class="why">why: ${esc(clip(a.reason, 400))}</div>
<div class="when">requested ${utc(a.requestedAt)} · ${expiry}</div>${buttons}</li>`;
}

function pastApproval(a: Approval, now: number): string {
  const decided = a.status === 'expired'
    ? `expired ${when(a.expiresAt, now)}, not answered`
    : `by <b data-testid="by">${esc(a.decidedBy ?? '?')}</b> via <span data-testid="channel">${esc(a.channel ?? '?')}</span> ${when(a.decidedAt ?? a.requestedAt, now)}`;
  const ran = a.ranAt ? `<div class="ran" data-testid="ran">ran ${when(a.ranAt, now)}: ${esc(clip(outcomeText(a.runOutcome), 300))}</div>` : a.status === 'approved' ? '<div class="ran">not run yet</div>' : '';
  return `<li class="approval ${esc(a.status)}" data-approval="${esc(a.id)}"><span class="pill ${esc(a.status)}" data-testid="status">${esc(a.status)}</span> ${approvalHead(a)}
<div class="when">${decided} · asked ${when(a.requestedAt, now)}</div>${ran}<div class="why">why: ${esc(clip(a.reason, 200))}</div></li>`;
}

function approvals(s: DashboardState): string {
  const now = Date.parse(s.at);
  return s.pending.length ? `<ul>${s.pending.map((a) => pendingApproval(a, now)).join('')}</ul>` : '<p class="empty">Nothing waits for your yes.</p>';
}

/** The decided and expired approvals, newest first: the audit. */
function audit(s: DashboardState): string {
  const now = Date.parse(s.at);
  return s.past.length ? `<ul>${s.past.map((a) => pastApproval(a, now)).join('')}</ul>` : '<p class="empty">No approval decided or expired yet.</p>';
}

export function renderFragments(s: DashboardState): Record<Fragment, string> {
  return { header: header(s), approvals: approvals(s), agents: agents(s), activity: activity(s), charts: charts(s), dead: dead(s), tasks: tasks(s), audit: audit(s) };
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f8fafc;color:#0f172a}
main{max-width:1100px;margin:0 auto;padding:12px}h1{font-size:1.3rem;margin:0}h2{font-size:1.05rem;margin:18px 0 8px}h3{font-size:.95rem;margin:10px 0 4px}
.bar{display:flex;justify-content:space-between;align-items:center;gap:8px;flex-wrap:wrap}.meta{color:#475569;margin:4px 0 0;font-size:.9rem}
button{font:inherit;padding:8px 14px;border-radius:8px;border:1px solid #1e293b;background:#1e293b;color:#fff;cursor:pointer}button[data-testid=resume]{background:#16a34a;border-color:#16a34a}
.pill{display:inline-block;padding:0 8px;border-radius:999px;font-size:.8rem;background:#e2e8f0;color:#334155;vertical-align:middle}
.pill.ok,.pill.done,.pill.running,.pill.success{background:#dcfce7;color:#166534}.pill.paused,.pill.pending,.pill.queued{background:#fef3c7;color:#92400e}.pill.degraded{background:#ffedd5;color:#9a3412}.pill.down,.pill.dead,.pill.failed,.pill.failure,.pill.missed{background:#fee2e2;color:#991b1b}
#agents{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:10px}
.agent{background:#fff;border:1px solid #e2e8f0;border-left:4px solid #16a34a;border-radius:10px;padding:10px}.agent.down{border-left-color:#dc2626}.agent.paused,.agent.degraded{border-left-color:#d97706}
.agent .role{color:#64748b;font-size:.85rem}dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:8px 0 0;font-size:.88rem}dt{color:#64748b}dd{margin:0}
.cols{display:grid;grid-template-columns:1fr;gap:0 16px}@media(min-width:820px){.cols{grid-template-columns:3fr 2fr}}
.thread{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:8px;margin-bottom:8px}.reply{margin:6px 0 0 14px;border-left:2px solid #cbd5e1;padding-left:8px}
.msg .who{font-size:.82rem;color:#475569}.msg .t{font-variant-numeric:tabular-nums}.msg .type{color:#64748b}.msg .ago{color:#94a3b8}.msg .text{white-space:pre-wrap;word-break:break-word}.msg.alert .text{color:#b45309;font-weight:600}
.chart{margin:0 0 10px;background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:8px}.chart svg{width:100%;height:60px}.legend{font-size:.8rem;color:#475569}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 8px}
ul{list-style:none;padding:0;margin:0}.task{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:8px;margin-bottom:6px;font-size:.9rem}.task .err{color:#991b1b;font-size:.82rem;word-break:break-word}.task button{margin-top:6px;padding:4px 10px}
.empty{color:#64748b}code{background:#e2e8f0;padding:0 4px;border-radius:4px}.thread .trace{font-size:.8rem;color:#2563eb}
.approval{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:8px 10px;margin-bottom:6px;font-size:.9rem}.approval.pending{border-left:4px solid #d97706}
.approval .code{font-weight:600;font-variant-numeric:tabular-nums;background:#fef3c7;color:#92400e;padding:0 6px;border-radius:6px}.approval .action{white-space:pre-wrap;word-break:break-word}
.approval .why,.approval .when,.approval .ran{color:#475569;font-size:.85rem;word-break:break-word;margin-top:2px}
.decide{display:flex;gap:8px;margin-top:8px}button.approve{background:#16a34a;border-color:#16a34a}button.deny{background:#fff;color:#991b1b;border-color:#dc2626}
.pill.approved{background:#dcfce7;color:#166534}.pill.denied{background:#fee2e2;color:#991b1b}
.result{margin:0 0 8px;padding:6px 10px;border-radius:8px;background:#dcfce7;color:#166534;word-break:break-word}.result:empty{display:none}.result:has(.outcome:not(.decided)){background:#fee2e2;color:#991b1b}
`;

/**
 * htmx swaps a control's answer into the page on success only; a decision that changed nothing
 * (404 no such approval, 409 already decided or expired) is shown as well, so the owner reads why.
 */
const HTMX_CONFIG = JSON.stringify({
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '40[49]', swap: true, error: true },
    { code: '[45]..', swap: false, error: true },
  ],
});

/** The whole page: the regions rendered now, then kept live over /events. */
export function renderPage(s: DashboardState): string {
  const f = renderFragments(s);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(s.status.network)} · agentnet</title><style>${CSS}</style>
<meta name="htmx-config" content="${esc(HTMX_CONFIG)}">
<script src="assets/htmx.min.js"></script><script src="assets/sse.min.js"></script>
</head><body hx-ext="sse" sse-connect="events">
<main>
<section id="header" sse-swap="header">${f.header}</section>
<h2>Pending approvals</h2><p id="approval-result" class="result" role="status" aria-live="polite"></p><section id="approvals" sse-swap="approvals">${f.approvals}</section>
<h2>Agents</h2><section id="agents" sse-swap="agents">${f.agents}</section>
<div class="cols">
<div><h2>Activity</h2><section id="activity" sse-swap="activity">${f.activity}</section></div>
<div><h2>Messages</h2><section id="charts" sse-swap="charts">${f.charts}</section>
<h2>Tasks</h2><section id="dead" sse-swap="dead">${f.dead}</section><section id="tasks" sse-swap="tasks">${f.tasks}</section>
<h2>Past approvals</h2><section id="audit" sse-swap="audit">${f.audit}</section></div>
</div>
</main></body></html>`;
}
