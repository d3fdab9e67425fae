/**
 * The dashboard's controls: pause, resume, retry a dead task, approve or deny an approval. The
 * server checks who may send one (controlRefusal, then the token); this module does what it asks.
 */
import type { IncomingMessage } from 'node:http';
import { userInfo } from 'node:os';
import { pauseEverywhere, resumeEverywhere } from '../agent/pause.ts';
import type { Config } from '../config/index.ts';
import { isAgentnetError } from '../errors.ts';
import { decisionError, decisionLine, type ApprovalDecision, type Store } from '../store/index.ts';
import { esc } from './render.ts';

/** Who and which channel a decision taken on the page is recorded as. */
export const DASHBOARD = 'dashboard';

/** A control's answer: the status, an optional body, and what changed, for the log (absent when nothing did). */
export interface ControlReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  changed?: string;
}

const text = (status: number, body: string): ControlReply => ({ status, body: body + '\n', headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * Why a control request is refused, or undefined. htmx sends HX-Request, which a form or an
 * image on another site cannot; and a browser names the page a request comes from (Origin),
 * which must be this dashboard itself. Scripts send no Origin and pass on the token alone.
 */
export function controlRefusal(req: IncomingMessage): string | undefined {
  if (req.headers['hx-request'] !== 'true') return 'controls need the HX-Request: true header';
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, req.headers.host)) return "controls are taken only from this dashboard's own page: the request came from another site (Origin)";
  return undefined;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!URL.canParse(origin) || host === undefined) return false;
  const u = new URL(origin);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === new URL(`${u.protocol}//${host}`).host;
}

/** Does what the control at `path` asks; undefined when there is no such control. */
export async function runControl(path: string, config: Config, store: Store | undefined): Promise<ControlReply | undefined> {
  const by = `${userInfo().username} (dashboard)`;
  if (path === '/api/pause') {
    await pauseEverywhere(config, store?.memory, { by, reason: 'paused from the dashboard' });
    return { status: 204, changed: 'paused' };
  }
  if (path === '/api/resume') {
    await resumeEverywhere(config, store?.memory, by);
    return { status: 204, changed: 'resumed' };
  }
  const retry = /^\/api\/tasks\/([^/]+)\/retry$/.exec(path);
  const decide = /^\/api\/approvals\/([^/]+)\/(approve|deny)$/.exec(path);
  if (!retry && !decide) return undefined;
  if (!store) return text(409, 'no store yet: it is created when an agent that needs it starts');
  if (retry) return retryTask(store, decodeURIComponent(retry[1]!));
  return decideApproval(store, decodeURIComponent(decide![1]!), decide![2] as ApprovalDecision);
}

async function retryTask(store: Store, id: string): Promise<ControlReply> {
  try {
    await store.queue.retry(id);
  } catch (err) {
    if (isAgentnetError(err)) return text(409, err.message);
    throw err;
  }
  return { status: 204, changed: `task ${id} queued again` };
}

/**
 * Takes the owner's yes or no, recorded as by `dashboard` from channel `dashboard`, and says what
 * became of it in the terminal's words: 200 decided, 409 already decided (by whom) or expired,
 * 404 no such approval. The body is HTML (htmx shows it on the page); X-Approval-Outcome is the
 * store's outcome, for scripts.
 */
async function decideApproval(store: Store, id: string, decision: ApprovalDecision): Promise<ControlReply> {
  const r = await store.approvals.decide({ id, decision, by: DASHBOARD, channel: DASHBOARD });
  const said = r.outcome === 'decided' ? decisionLine(r.approval) : decisionError(r, id, decision).message;
  return {
    status: r.outcome === 'decided' ? 200 : r.outcome === 'unknown' ? 404 : 409,
    body: `<span class="outcome ${r.outcome}" data-outcome="${r.outcome}">${esc(said)}</span>`,
    headers: { 'content-type': 'text/html; charset=utf-8', 'x-approval-outcome': r.outcome },
    ...(r.outcome === 'decided' ? { changed: said } : {}),
  };
}
