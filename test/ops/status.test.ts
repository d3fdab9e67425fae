import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetworkStatus } from '../../src/agent/network-status.ts';
import { formatStatusTable } from '../../src/ops/status.ts';

describe('agentnet status table', () => {
  it('says why an agent is degraded, and why one is down', () => {
    const health = { status: 'degraded' as const, uptime: 30, lastActivity: null, messagesProcessed: 0, agent: 'claude', role: 'orchestrator', paused: false, pid: 4242, problems: ['bridge: PostgreSQL unreachable since 2026-11-25T04:00:00.000Z (connect ECONNREFUSED 127.0.0.1:5432); waiting for it'] };
    const s: NetworkStatus = {
      network: 'home',
      pause: { paused: false },
      pending: 0,
      inbox: 0,
      agents: [
        { agent: 'claude', role: 'orchestrator', url: 'http://127.0.0.1:7701/health', state: 'degraded', health, pending: 0 },
        { agent: 'kami', role: 'relay', url: 'http://127.0.0.1:7702/health', state: 'down', error: 'connect ECONNREFUSED', pending: 2 },
      ],
    };
    const [, , , claude, kami] = formatStatusTable(s).split('\n');
    assert.match(claude!, /^claude\s+orchestrator\s+degraded \(bridge: PostgreSQL unreachable since .*ECONNREFUSED 127\.0\.0\.1:5432\); waiting for it\)/);
    assert.match(kami!, /^kami\s+relay\s+down \(connect ECONNREFUSED\)/);
  });

  it("lists each relay's channel under the table: why it is degraded, its last receive cycle, its last canary", () => {
    const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
    const channel = {
      type: 'whatsapp' as const,
      ok: false,
      state: 'authorized',
      problems: ['deaf: no long poll to Green API has come back for 40 s (expected within 25 s: the wait plus 5 s); messages to it may not arrive'],
      receive: { mode: 'poll' as const, lastCycleAt: ago(40_000), expectedWithinMs: 25_000 },
      canary: { at: ago(120_000), ok: true, detail: 'instance authorized' },
    };
    const health = { status: 'degraded' as const, uptime: 300, lastActivity: null, messagesProcessed: 3, agent: 'kami', role: 'relay', paused: false, pid: 4243, problems: [`channel: ${channel.problems[0]}`], channel };
    const s: NetworkStatus = {
      network: 'home',
      pause: { paused: false },
      pending: 0,
      inbox: 0,
      agents: [{ agent: 'kami', role: 'relay', url: 'http://127.0.0.1:7702/health', state: 'degraded', health, pending: 0 }],
    };
    const out = formatStatusTable(s);
    assert.match(out, /\nkami\s+relay\s+degraded \(channel: deaf: no long poll to Green API has come back for 40 s/);
    assert.match(
      out,
      /\n\nchannels:\n {2}kami: whatsapp \(poll\) degraded: deaf: no long poll .*may not arrive; last receive cycle 40s ago \(expected within 25 s\); canary 2m ago: ok, instance authorized\n$/,
    );
  });
});
