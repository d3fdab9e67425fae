/**
 * monitor: checks every other agent's /health through the agent health watch
 * (agent/health-watch.ts): the owner hears once when one goes down and once when it recovers.
 */
import { checkAgents } from '../agent/health-watch.ts';
import { payloadOf, type TaskKind } from './kind.ts';

export const monitorTask: TaskKind = {
  name: 'monitor',
  notify: [],
  async run(ctx) {
    const p = payloadOf(ctx.task);
    const only = Array.isArray(p.agents) ? p.agents.map(String) : undefined;
    const confirmMs = typeof p.confirmMs === 'number' ? p.confirmMs : 10_000;
    const targets = Object.values(ctx.config.agents).filter((a) => a.name !== ctx.agent.name && (!only || only.includes(a.name)));
    const results = await checkAgents(ctx, targets, confirmMs);
    const down = results.filter((r) => r.state === 'down');
    return {
      summary: `checked ${results.length} agents: ${results.length - down.length} up${down.length ? `, down: ${down.map((d) => `${d.agent} (${d.error})`).join(', ')}` : ''}`,
      result: results.map((r) => ({ agent: r.agent, state: r.state, ...(r.status ? { status: r.status } : {}), ...(r.error ? { error: r.error } : {}) })),
    };
  },
};
