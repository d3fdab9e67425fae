/** The shape of a CLI command: one file per command, parsed with node:util parseArgs. */
import type { ParseArgsOptionsConfig } from 'node:util';
import { bridgeSpec, findConfigFile, storeSpec, type LoadedConfig } from '../config/index.ts';
import { loadNetworkConfig } from './network-config.ts';
import { openBridge, type Bridge } from '../bridge/index.ts';
import { createCliLogger, type Logger } from '../log/logger.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT / SIGTERM. */
  signal: AbortSignal;
  /** Reads all of standard input (for `-` arguments). */
  stdin(): Promise<string>;
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A command's behaviour; its name and summary are in the table of commands.ts. */
export interface Command {
  /** The help text after the usage line: arguments, options, examples. */
  help: string;
  usage: string;
  options: ParseArgsOptionsConfig;
  positionals?: boolean;
  /** Returns the exit code (default 0). */
  run(values: Values, positionals: string[], io: CliIo): Promise<number | void>;
}

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;
export const CONFIG_HELP = '  -c, --config FILE   the network config (default: $AGENTNET_CONFIG or ./agentnet.yaml)';

export function cliLogger(io: CliIo): Logger {
  return createCliLogger({ write: io.err, level: io.env.AGENTNET_LOG_LEVEL === 'debug' ? 'debug' : 'warn' });
}

export function readConfig(values: Values, io: CliIo): LoadedConfig {
  return loadNetworkConfig(findConfigFile(values.config as string | undefined, io.env, io.cwd), { env: io.env });
}

export async function openConfiguredBridge(values: Values, io: CliIo): Promise<{ bridge: Bridge; loaded: LoadedConfig }> {
  const loaded = readConfig(values, io);
  const bridge = await openBridge(bridgeSpec(loaded.config), cliLogger(io));
  return { bridge, loaded };
}

export async function openConfiguredStore(values: Values, io: CliIo): Promise<import('../store/index.ts').Store> {
  const { openStore } = await import('../store/index.ts');
  const { config } = readConfig(values, io);
  return openStore(storeSpec(config));
}

/** Opens the configured store for `fn` and always closes it. */
export async function withStore<T>(values: Values, io: CliIo, fn: (store: import('../store/index.ts').Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(values, io);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
