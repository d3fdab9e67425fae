/** `agentnet memory ...`: read and write the shared memory. */
import { userInfo } from 'node:os';
import { AgentnetError } from '../errors.ts';
import { parseCount } from './bridge-filter-options.ts';
import { CONFIG_HELP, CONFIG_OPTION, withStore, type Command } from './command.ts';
import { safeText } from './format.ts';

const VERSION_OPTION = { 'if-version': { type: 'string' } } as const;

function ifVersion(text: unknown): { ifVersion?: number } {
  return text === undefined ? {} : { ifVersion: parseCount(text as string, '--if-version', 0) };
}

function parseTtl(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) throw new AgentnetError('USAGE', `--ttl "${text}": expected a duration like 30s, 10m, 2h, 7d`);
  return Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's'];
}

function nsKey(positionals: string[], n: number, usage: string): string[] {
  if (positionals.length !== n) throw new AgentnetError('USAGE', `usage: ${usage}`);
  return positionals;
}

export const memoryGetCommand: Command = {
  usage: 'agentnet memory get NAMESPACE KEY [--json] [--history]',
  help: `Prints the value (JSON), or with --json the whole entry (version, written by, when, expiry).
Exits 1 when there is no such key.

Options:
  --json              the whole entry
  --history           the last writes of the key, newest first
${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION, json: { type: 'boolean' }, history: { type: 'boolean' } },
  async run(values, positionals, io) {
    const [ns, key] = nsKey(positionals, 2, this.usage);
    return withStore(values, io, async (store) => {
      if (values.history) {
        for (const h of await store.memory.history(ns!, key!)) io.out(JSON.stringify(h) + '\n');
        return;
      }
      const e = await store.memory.get(ns!, key!);
      if (!e) {
        io.err(`no ${ns}/${key} in memory\n`);
        return 1;
      }
      io.out((values.json ? JSON.stringify(e) : JSON.stringify(e.value)) + '\n');
    });
  },
};

export const memorySetCommand: Command = {
  usage: 'agentnet memory set NAMESPACE KEY VALUE [--ttl 10m] [--if-version N] [--by NAME]',
  help: `VALUE is JSON if it parses as JSON, otherwise a string. Prints the new version.

Options:
  --ttl DURATION      forget it after 30s, 10m, 2h, 7d
  --if-version N      write only if the key is at version N (0: only if absent)
  --by NAME           recorded as the writer (default: your user name)
${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION, ...VERSION_OPTION, ttl: { type: 'string' }, by: { type: 'string' } },
  async run(values, positionals, io) {
    const [ns, key, raw] = nsKey(positionals, 3, this.usage);
    let value: unknown;
    try {
      value = JSON.parse(raw!);
    } catch {
      value = raw;
    }
    return withStore(values, io, async (store) => {
      const e = await store.memory.set(ns!, key!, value, {
        by: (values.by as string | undefined) ?? userInfo().username,
        ...(values.ttl ? { ttlMs: parseTtl(values.ttl as string) } : {}),
        ...ifVersion(values['if-version']),
      });
      io.out(`${ns}/${key} version ${e.version}\n`);
    });
  },
};

export const memoryLsCommand: Command = {
  usage: 'agentnet memory ls NAMESPACE [--prefix P] [-n N] [--json]',
  help: `Options:
  --prefix P          keys starting with P
  -n, --limit N       at most N
  --json              one entry per line
${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION, prefix: { type: 'string' }, limit: { type: 'string', short: 'n' }, json: { type: 'boolean' } },
  async run(values, positionals, io) {
    const [ns] = nsKey(positionals, 1, this.usage);
    return withStore(values, io, async (store) => {
      const entries = await store.memory.list(ns!, {
        ...(values.prefix ? { prefix: values.prefix as string } : {}),
        ...(values.limit ? { limit: parseCount(values.limit as string, '--limit', 100) } : {}),
      });
      for (const e of entries) {
        io.out(values.json ? JSON.stringify(e) + '\n' : safeText(`${e.key}  v${e.version}  ${e.writtenBy} ${e.writtenAt}  ${JSON.stringify(e.value).slice(0, 80)}`) + '\n');
      }
    });
  },
};

export const memoryRmCommand: Command = {
  usage: 'agentnet memory rm NAMESPACE KEY [--if-version N] [--by NAME]',
  help: `Exits 1 when there was no such key.\n\nOptions:\n  --if-version N      only if the key is at version N\n  --by NAME           recorded as the writer\n${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION, ...VERSION_OPTION, by: { type: 'string' } },
  async run(values, positionals, io) {
    const [ns, key] = nsKey(positionals, 2, this.usage);
    return withStore(values, io, async (store) => {
      const removed = await store.memory.delete(ns!, key!, { by: (values.by as string | undefined) ?? userInfo().username, ...ifVersion(values['if-version']) });
      io.out(removed ? `removed ${ns}/${key}\n` : `no ${ns}/${key}\n`);
      return removed ? 0 : 1;
    });
  },
};
