import { existsSync } from 'node:fs';
import { storeIsLocalFile, storeSpec } from '../config/index.ts';
import { collectStatus } from '../agent/network-status.ts';
import { formatStatusTable } from '../ops/status.ts';
import { openStore, type Store } from '../store/index.ts';
import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';

export const statusCommand: Command = {
  usage: 'agentnet status [--json]',
  help: `Asks every configured agent's /health, counts pending bridge messages per addressee and
reads PAUSE. WATCH is what the last health check of a monitor task or the relay's watch
recorded (up/down since when, by whom, how long ago). Under the table, each relay's channel:
ok or degraded and why (deaf, the account, the webhook), its last receive cycle against the
interval expected, its last canary. Exits 0 when every agent answers, 1 when any is down.

Options:
  --json              print JSON
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, json: { type: 'boolean' } },
  async run(values, _p, io) {
    const { bridge, loaded } = await openConfiguredBridge(values, io);
    const s = loaded.config.store;
    // Only an existing store: status never creates one. One that cannot be opened leaves the queue
    // columns empty; the agents' health, the part status is for, is still shown.
    const store: Store | undefined = !storeIsLocalFile(loaded.config) || existsSync(s.path) ? await openStore(storeSpec(loaded.config)).catch(() => undefined) : undefined;
    try {
      const status = await collectStatus(loaded.config, bridge, store ? { memory: store.memory } : {});
      io.out(values.json ? JSON.stringify(status) + '\n' : formatStatusTable(status));
      return status.agents.some((a) => a.state === 'down') ? 1 : 0;
    } finally {
      await store?.close();
      await bridge.close();
    }
  },
};
