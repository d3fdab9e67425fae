/**
 * Prometheus metrics for one agent, built with prom-client from the agent's own counters, and
 * histograms of the time requests spend end to end and in each hop (from the times the agent
 * observed, `observe` in stats.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentStats } from './stats.ts';

/** Seconds: from a few milliseconds (a relay's acknowledgement) to minutes (a model with tools). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The reply and hop histograms, fed on each scrape with the times observed since the last. */
function timings(r: Registry, stats: AgentStats): void {
  const reply = new Histogram({ name: 'agentnet_reply_seconds', help: "End to end: an owner's message received by the relay to its answer accepted by the provider.", buckets: BUCKETS, registers: [r], collect: () => drain() });
  const hop = new Histogram({
    name: 'agentnet_hop_seconds',
    help: 'One hop of a request: relay_ack (received to acknowledgement sent), bridge_wait (appended to taken), model (one model call), send (reply queued to sent).',
    labelNames: ['hop'],
    buckets: BUCKETS,
    registers: [r],
    collect: () => drain(),
  });
  const drain = () => {
    for (const [what, seconds] of stats.timings.splice(0)) {
      if (what === 'reply') reply.observe(seconds);
      else hop.observe({ hop: what }, seconds);
    }
  };
}

/** One registry per agent (one agent per process in production; several in tests). */
const registries = new WeakMap<AgentStats, Registry>();

function build(stats: AgentStats): Registry {
  const r = new Registry();
  r.setDefaultLabels({ agent: stats.agent, role: stats.role });
  collectDefaultMetrics({ register: r, prefix: 'agentnet_' });
  // Gauges that prom-client names *_total, which `promtool check metrics` rejects.
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) r.removeSingleMetric(`agentnet_nodejs_${name}`);
  const counterFrom = (name: string, help: string, labelNames: string[], read: () => Record<string, number>, label: string) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [r],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(read())) if (v > 0) this.inc({ [label]: k }, v);
      },
    });
  counterFrom('agentnet_messages_processed_total', 'Bridge messages handled, by type.', ['type'], () => stats.processed, 'type');
  counterFrom('agentnet_model_calls_total', 'Model calls, by outcome.', ['outcome'], () => stats.modelCalls, 'outcome');
  counterFrom('agentnet_model_tokens_total', 'Model tokens, by direction.', ['direction'], () => stats.tokens, 'direction');
  counterFrom('agentnet_errors_total', 'Errors, by kind.', ['kind'], () => stats.errors, 'kind');
  new Counter({
    name: 'agentnet_tasks_total',
    help: 'Tasks finished, by kind and outcome (success, failure: after the last attempt, retried: will run again).',
    labelNames: ['kind', 'outcome'],
    registers: [r],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(stats.tasks)) {
        const [kind = '', outcome = ''] = k.split(' ');
        if (v > 0) this.inc({ kind, outcome }, v);
      }
    },
  });
  new Gauge({ name: 'agentnet_bridge_lag_seconds', help: 'Age of the last bridge message when this agent took it.', registers: [r], collect() { this.set(stats.bridgeLagSeconds); } });
  new Gauge({ name: 'agentnet_paused', help: '1 while the network is paused.', registers: [r], collect() { this.set(stats.paused ? 1 : 0); } });
  new Gauge({ name: 'agentnet_last_activity_timestamp_seconds', help: 'When this agent last handled something.', registers: [r], collect() { this.set((stats.lastActivity ?? 0) / 1000); } });
  timings(r, stats);
  return r;
}

export async function renderMetrics(stats: AgentStats): Promise<{ contentType: string; body: string }> {
  let registry = registries.get(stats);
  if (!registry) registries.set(stats, (registry = build(stats)));
  return { contentType: registry.contentType, body: await registry.metrics() };
}
