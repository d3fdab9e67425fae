import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';
import { FILTER_HELP, FILTER_OPTIONS, filterFrom, parseCount } from './bridge-filter-options.ts';
import { formatMessage } from './format.ts';

export const bridgeTailCommand: Command = {
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
      // Subscribe and wait until it is positioned, then print history: nothing appended in
      // between is missed, and a record in both is printed once.
      const shown = new Set<string>();
      const key = (m: Parameters<typeof formatMessage>[0]) => `${m.id}\u0000${m.status}\u0000${m.ts}`;
      let live = false;
      const early: Array<Parameters<typeof formatMessage>[0]> = [];
      const sub = bridge.subscribe({ filter, from: 'end', signal: io.signal }, (m) => {
        if (!live) early.push(m);
        else if (!shown.has(key(m))) print(m);
      });
      await sub.ready;
      for (const m of lines > 0 ? await bridge.list({ ...filter, limit: lines }) : []) {
        shown.add(key(m));
        print(m);
      }
      for (const m of early) if (!shown.has(key(m))) print(m);
      live = true;
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
