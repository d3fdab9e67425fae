/** The dashboard shows a relay's channel: degraded and why, its last receive cycle, its last canary, escaped. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DashboardState } from '../../src/dashboard/state.ts';
import { renderFragments } from '../../src/dashboard/render.ts';

it("a relay's card says why its channel is degraded, when it last heard the provider and what the canary found", () => {
  const at = '2026-05-01T10:00:00.000Z';
  const channel = {
    type: 'telegram' as const,
    ok: false,
    state: 'webhook',
    problems: ['Telegram could not deliver to the webhook at 2026-05-01T09:59:00.000Z: Wrong response from the webhook: 502 <Bad Gateway>'],
    receive: { mode: 'webhook' as const, lastCycleAt: '2026-05-01T09:55:00.000Z', expectedWithinMs: 1_800_000 },
    canary: { at: '2026-05-01T09:59:30.000Z', ok: false, detail: 'the webhook fails' },
  };
  const health = { status: 'degraded' as const, uptime: 60, lastActivity: null, messagesProcessed: 0, agent: 'tami', role: 'relay', paused: false, pid: 1, channel };
  const s: DashboardState = {
    at,
    status: { network: 'home', pause: { paused: false }, pending: 0, inbox: 0, agents: [{ agent: 'tami', role: 'relay', url: 'http://127.0.0.1:7704/health', state: 'degraded', health, pending: 0 }] },
    threads: [],
    counts: {},
    minutes: 30,
    tasks: [],
    dead: [],
    pending: [],
    past: [],
    schedules: [],
  };
  const card = renderFragments(s).agents;
  const line = /<dd data-testid="channel">([^<]*)<\/dd>/.exec(card)?.[1];
  assert.equal(
    line,
    'telegram (webhook) degraded: Telegram could not deliver to the webhook at 2026-05-01T09:59:00.000Z: Wrong response from the webhook: 502 &lt;Bad Gateway&gt;; last receive cycle 5m ago (expected within 30 min); canary 30s ago: failed, the webhook fails',
  );
});
