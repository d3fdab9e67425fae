import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';
import { FILTER_HELP, FILTER_OPTIONS, filterFrom, parseCount } from './bridge-filter-options.ts';
import { formatMessage } from './format.ts';

export const bridgeTailCommand: Command = {
  name: 'bridge tail',
  summary: 'show the last messages; with -f, follow new ones live',
  usage: 'agentnet bridge tail [-f] [-n N] [filters] [--json]',
  help: `Prints the last N messages. With -f it then keeps running and prints every new record as
it is appended (a new message, or a message marked done), within milliseconds, until Ctrl-C.

Options:
  -f, --follow        keep printing new records
  -n, --lines N       how many messages to show first (default 10)
${FILTER_HELP}
  --json              one JSON object per line
${CONFIG_HELP}`,
  options: {
    ...CONFIG_OPTION,
    ...FILTER_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
    json: { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    const filter = filterFrom(values);
    const lines = parseCount(values.lines as string | undefined, '--lines', 10);
    const print = (m: Parameters<typeof formatMessage>[0]) => io.out(values.json ? JSON.stringify(m) + '\n' : formatMessage(m) + '\n');
    const { bridge } = await openConfiguredBridge(values, io);
    try {
      if (!values.follow) {
        for (const m of await bridge.list({ ...filter, limit: lines })) print(m);
        return;
      }
      // Subscribe first, then print history, so nothing appended in between is missed.
      const sub = bridge.subscribe({ filter, from: 'end', signal: io.signal }, print);
      const backlog = lines > 0 ? await bridge.list({ ...filter, limit: lines }) : [];
      for (const m of backlog) print(m);
      await sub.ready;
      io.err(`following the ${bridge.backend} bridge; Ctrl-C to stop\n`); // stderr, so --json output stays clean
      await new Promise<void>((resolve) => {
        if (io.signal.aborted) resolve();
        else io.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await bridge.close();
    }
  },
};
