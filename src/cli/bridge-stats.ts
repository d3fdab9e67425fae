import type { BridgeMessage } from '../bridge/index.ts';
import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';
import { safeText } from './format.ts';

export interface BridgeStats {
  total: number;
  byStatus: Record<string, number>;
  byType: Record<string, number>;
  /** agent → type → status → count */
  byAgent: Record<string, Record<string, Record<string, number>>>;
}

export function computeStats(messages: BridgeMessage[]): BridgeStats {
  const stats: BridgeStats = { total: 0, byStatus: { pending: 0, done: 0 }, byType: {}, byAgent: {} };
  for (const m of messages) {
    stats.total++;
    stats.byStatus[m.status] = (stats.byStatus[m.status] ?? 0) + 1;
    stats.byType[m.type] = (stats.byType[m.type] ?? 0) + 1;
    const agent = (stats.byAgent[m.from] ??= {});
    const type = (agent[m.type] ??= {});
    type[m.status] = (type[m.status] ?? 0) + 1;
  }
  return stats;
}

export const bridgeStatsCommand: Command = {
  usage: 'agentnet bridge stats [--archived] [--json]',
  help: `Counts messages (latest state of each) by sending agent, type and status.

Options:
  --archived          include archived messages
  --json              print JSON
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, archived: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const { bridge } = await openConfiguredBridge(values, io);
    try {
      const stats = computeStats(await bridge.list({ includeArchived: values.archived === true }));
      if (values.json) {
        io.out(JSON.stringify(stats) + '\n');
        return;
      }
      io.out(`${stats.total} messages: ${stats.byStatus.pending ?? 0} pending, ${stats.byStatus.done ?? 0} done\n`);
      if (stats.total === 0) return;
      io.out(`\n${'AGENT'.padEnd(16)} ${'TYPE'.padEnd(13)} ${'PENDING'.padStart(8)} ${'DONE'.padStart(8)}\n`);
      for (const [agent, types] of Object.entries(stats.byAgent)) {
        for (const [type, s] of Object.entries(types)) {
          io.out(`${safeText(agent).padEnd(16)} ${type.padEnd(13)} ${String(s.pending ?? 0).padStart(8)} ${String(s.done ?? 0).padStart(8)}\n`);
        }
      }
    } finally {
      await bridge.close();
    }
  },
};
