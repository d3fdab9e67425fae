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
});
