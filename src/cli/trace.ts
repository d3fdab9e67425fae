/** `agentnet trace ID`: a request's timeline, hop by hop, and where it stopped if it did. */
import { HOPS } from '../agent/tracer.ts';
import { buildTimeline, findTrace, type Timeline } from '../agent/timeline.ts';
import { openBridge } from '../bridge/index.ts';
import { bridgeSpec } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import type { HopDetail } from '../store/index.ts';
import { CONFIG_HELP, CONFIG_OPTION, cliLogger, readConfig, withStore, type Command } from './command.ts';
import { safeText } from './format.ts';

/** `12 ms`, `1.24 s`, `3m 05s`. */
export function duration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(2)} s`;
  return `${sign}${Math.floor(a / 60_000)}m ${String(Math.round((a % 60_000) / 1000)).padStart(2, '0')}s`;
}

const details = (d: HopDetail | undefined) => (d ? Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ') : '');

/** The timeline as a table a person reads, every outside string made safe to print. */
export function formatTimeline(t: Timeline): string {
  const state = t.complete ? `complete, ${duration(t.totalMs)} from first hop to last` : `stopped, ${duration(t.totalMs)} from first hop to last so far`;
  const head = `trace ${t.trace} (${new Date(t.startedAt).toISOString().slice(0, 10)}): ${state}`;
  const w = Math.max(...t.hops.map((h) => h.hop.length), 3);
  const aw = Math.max(...t.hops.map((h) => h.agent.length), 5);
  const rows = t.hops.map((h) =>
    safeText(`  ${new Date(h.at).toISOString().slice(11, 23)} ${`+${duration(h.sinceStartMs)}`.padStart(10)} ${duration(h.tookMs).padStart(9)}  ${h.hop.padEnd(w)}  ${h.agent.padEnd(aw)}  ${h.ref}  ${details(h.detail)}`.trimEnd()),
  );
  const columns = `  ${'time (UTC)'.padEnd(12)} ${'since start'.padStart(10)} ${'took'.padStart(9)}  ${'hop'.padEnd(w)}  ${'agent'.padEnd(aw)}  ref  detail`;
  const stopped = t.stopped ? [``, safeText(`stopped: ${t.stopped.waiting}, for ${duration(t.stopped.forMs)} (since its ${t.stopped.hop} hop)`)] : [];
  const more = t.open.length > 1 ? t.open.slice(0, -1).map((o) => safeText(`  also waiting: ${o.waiting}`)) : [];
  return [head, columns, ...rows, ...stopped, ...more].join('\n') + '\n';
}

/** What an id to look up may be: anything printable, without spaces, of a sane length. */
function checkId(id: string | undefined): string {
  if (id === undefined || id.trim() === '') throw new AgentnetError('USAGE', 'give the id of a message, a ledger key, a task id or a trace id (see: agentnet bridge ls)');
  if (id.length > 500 || /[\s\u0000-\u001f\u007f]/.test(id)) throw new AgentnetError('USAGE', `"${safeText(id.slice(0, 80))}" is not an id: ids have no spaces or control characters and are at most 500 characters`);
  return id;
}

export const traceCommand: Command = {
  usage: 'agentnet trace ID [--json]',
  help: `Prints the timeline of the request ID belongs to: each hop (received, recorded,
acknowledged, escalated, claimed, model started/finished, answered, queued, sent,
delivered, read…) with its time, the time since the first hop and the time it took, then
where the request stopped if it has not reached its end (and what it waits for). ID is the
id of any message in the chain (agentnet bridge ls), an inbound message's ledger key, a
task id, a provider's message id, or the trace id itself.

Hops:
${Object.entries(HOPS).map(([h, what]) => `  ${h.padEnd(16)}${what}`).join('\n')}

Options:
  --json              the timeline as one JSON object
${CONFIG_HELP}

Example:
  agentnet trace kami-1767225600000-a1b2c3`,
  positionals: true,
  options: { ...CONFIG_OPTION, json: { type: 'boolean' } },
  async run(values, positionals, io) {
    const id = checkId(positionals[0]);
    if (positionals.length > 1) throw new AgentnetError('USAGE', 'give one id');
    const { config } = readConfig(values, io);
    const bridge = await openBridge(bridgeSpec(config), cliLogger(io));
    try {
      const found = await withStore(values, io, (store) => findTrace(id, store.traces, bridge, (a) => config.agents[a]?.role));
      if (!found) {
        throw new AgentnetError(
          'TRACE_NOT_FOUND',
          `nothing has the id "${safeText(id)}": no trace, message, ledger key or task by that id is recorded. Give the id of a message (agentnet bridge ls), a task (agentnet tasks ls) or a trace; hops older than the bridge's rotation (${config.bridge.rotate.olderThanDays} days) are forgotten`,
        );
      }
      const timeline = buildTimeline(found.trace, found.hops, new Set(Object.keys(config.agents)));
      io.out(values.json ? `${JSON.stringify(timeline)}\n` : formatTimeline(timeline));
    } finally {
      await bridge.close();
    }
  },
};
