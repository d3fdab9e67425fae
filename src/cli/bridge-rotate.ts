import { relative } from 'node:path';
import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';
import { parseCount } from './bridge-filter-options.ts';

export const bridgeRotateCommand: Command = {
  usage: 'agentnet bridge rotate [--days N] [--json]',
  help: `Moves every message that is done and whose last update is older than N days to
messages-archive-YYYY-MM.jsonl beside the bridge (month of the message's first record).
Agents keep running: appends wait a moment, readers continue in the new file. Lines that
are not valid messages move to messages-malformed.jsonl. Safe to run again after a crash.

Options:
  --days N            age in days (default: bridge.rotate.olderThanDays, 30)
  --json              print the result as JSON
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, days: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const { bridge, loaded } = await openConfiguredBridge(values, io);
    try {
      const days = parseCount(values.days as string | undefined, '--days', loaded.config.bridge.rotate.olderThanDays);
      const r = await bridge.rotate({ olderThanDays: days });
      if (values.json) io.out(JSON.stringify(r) + '\n');
      else {
        io.out(`archived ${r.archived} messages, kept ${r.kept}${r.quarantined ? `, quarantined ${r.quarantined} malformed lines` : ''}\n`);
        for (const a of r.archives) io.out(`  ${relative(io.cwd, a)}\n`);
      }
    } finally {
      await bridge.close();
    }
  },
};
