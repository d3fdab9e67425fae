/**
 * `agentnet migrate bridge --from jsonl --to postgres` (and back): copies every message, live
 * and archived, with its id, time and status, through the Bridge interface of both backends.
 * Idempotent: a message already in the target is left (or only marked done); run it again
 * after an interruption. Ends by comparing the two sides.
 */
import { openBridge, type Bridge, type BridgeMessage } from '../bridge/index.ts';
import { bridgeSpec, type Config } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import { CONFIG_HELP, CONFIG_OPTION, cliLogger, readConfig, type CliIo, type Command, type Values } from './command.ts';

const BACKENDS = ['jsonl', 'postgres'] as const;
type Backend = (typeof BACKENDS)[number];

function backendOption(values: Values, name: 'from' | 'to'): Backend {
  const v = values[name];
  if (typeof v !== 'string' || !(BACKENDS as readonly string[]).includes(v)) {
    throw new AgentnetError('USAGE', `--${name} must be one of ${BACKENDS.join(', ')}${typeof v === 'string' ? `, not "${v}"` : ''}`);
  }
  return v as Backend;
}

/** Where each backend lives: the config's bridge, store URL, or what the options say. */
function sideSpec(config: Config, backend: Backend, values: Values) {
  if (backend === 'jsonl') return bridgeSpec(config, { backend: 'jsonl', watch: false, ...(values.path ? { path: values.path as string } : {}) });
  const url = (values.url as string | undefined) ?? config.bridge.url ?? config.store.url;
  if (!url) throw new AgentnetError('USAGE', `no PostgreSQL URL: pass --url postgres://..., or set store: postgres://... (or bridge.url) in ${config.file}`);
  const schema = (values.schema as string | undefined) ?? config.bridge.schema ?? config.store.schema;
  return { backend: 'postgres', path: config.bridge.path, url, ...(schema ? { schema } : {}), watch: false };
}

export interface MigrateResult {
  copied: number;
  markedDone: number;
  alreadyThere: number;
  skipped: Array<{ id: string; reason: string }>;
  source: number;
  target: number;
}

/** Copies `from` into `to`; a message the target cannot take is listed in `skipped`, never dropped silently. */
export async function migrateBridge(from: Bridge, to: Bridge): Promise<MigrateResult> {
  const messages = await from.list({ includeArchived: true });
  const r: MigrateResult = { copied: 0, markedDone: 0, alreadyThere: 0, skipped: [], source: messages.length, target: 0 };
  for (const m of messages) {
    const there = await to.get(m.id);
    if (there) {
      if (there.status !== 'done' && m.status === 'done') {
        await to.markDone(there);
        r.markedDone++;
      } else r.alreadyThere++;
      continue;
    }
    try {
      await to.append(copyOf(m));
      r.copied++;
    } catch (err) {
      r.skipped.push({ id: m.id, reason: (err as Error).message });
    }
  }
  const ids = new Set(messages.map((m) => m.id));
  r.target = (await to.list({ includeArchived: true })).filter((m) => ids.has(m.id)).length;
  return r;
}

const copyOf = (m: BridgeMessage) => ({
  id: m.id,
  ts: m.ts,
  from: m.from,
  type: m.type,
  content: m.content,
  status: m.status,
  ...(m.to !== undefined ? { to: m.to } : {}),
  ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
  ...(m.metadata !== undefined ? { metadata: m.metadata } : {}),
});

export const migrateBridgeCommand: Command = {
  usage: 'agentnet migrate bridge --from jsonl|postgres --to jsonl|postgres [--url URL] [--schema NAME] [--path FILE] [--json]',
  help: `Copies every message of the bridge, live and archived, with its id, time and status, into
the other backend; then counts both sides and exits 1 unless every message is in the target.
Running it again copies only what is missing (and marks done what was finished since), so an
interrupted migration is finished by running it again. Stop the agents first (agentnet pause
is not enough: a message answered during the copy may be copied as pending), then point the
config at the new backend and start them.

Options:
  --from, --to        jsonl or postgres
  --url URL           the PostgreSQL side (default: bridge.url, or the store's URL)
  --schema NAME       its schema (default: bridge.schema, the store's, or agentnet)
  --path FILE         the jsonl side (default: bridge.path)
  --json              print the result as JSON
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, from: { type: 'string' }, to: { type: 'string' }, url: { type: 'string' }, schema: { type: 'string' }, path: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, _p, io: CliIo) {
    const from = backendOption(values, 'from');
    const to = backendOption(values, 'to');
    if (from === to) throw new AgentnetError('USAGE', `--from and --to are both ${from}; nothing to migrate`);
    const { config } = readConfig(values, io);
    const logger = cliLogger(io);
    const source = await openBridge(sideSpec(config, from, values), logger);
    try {
      const target = await openBridge(sideSpec(config, to, values), logger);
      try {
        const r = await migrateBridge(source, target);
        const complete = r.target === r.source;
        if (values.json) io.out(JSON.stringify({ from, to, ...r, complete }) + '\n');
        else {
          io.out(`${from} → ${to}: ${r.copied} copied, ${r.markedDone} marked done, ${r.alreadyThere} already there\n`);
          io.out(`source ${r.source} messages, target has ${r.target} of them: ${complete ? 'complete' : 'INCOMPLETE'}\n`);
          for (const s of r.skipped) io.out(`  not copied: ${s.id}: ${s.reason}\n`);
          if (complete) io.out(`now set the bridge backend to ${to} in ${config.file} and restart the agents\n`);
        }
        return complete ? 0 : 1;
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  },
};
