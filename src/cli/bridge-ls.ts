import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';
import { FILTER_HELP, FILTER_OPTIONS, filterFrom, parseCount } from './bridge-filter-options.ts';
import { formatMessage } from './format.ts';

export const bridgeLsCommand: Command = {
  usage: 'agentnet bridge ls [--from A] [--to A] [--status S] [--type T] [--since WHEN] [--limit N] [--archived] [--json]',
  help: `Prints each message once, in its latest state (a message marked done shows as done),
oldest first.

Options:
${FILTER_HELP}
  --limit N           only the last N (after filtering)
  --archived          include messages rotation moved to archives
  --json              one JSON object per line (jq-friendly)
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, ...FILTER_OPTIONS, limit: { type: 'string', short: 'n' }, archived: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const filter = filterFrom(values);
    const limit = values.limit === undefined ? undefined : parseCount(values.limit as string, '--limit', 0);
    const { bridge } = await openConfiguredBridge(values, io);
    try {
      const messages = await bridge.list({ ...filter, ...(limit !== undefined ? { limit } : {}), includeArchived: values.archived === true });
      if (values.json) for (const m of messages) io.out(JSON.stringify(m) + '\n');
      else if (messages.length === 0) io.out('no messages\n');
      else for (const m of messages) io.out(formatMessage(m) + '\n');
    } finally {
      await bridge.close();
    }
  },
};
