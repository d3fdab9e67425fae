/**
 * `agentnet claude session-start`: Claude Code's SessionStart hook. It prints the pending
 * requests for the orchestrator, which Claude Code adds to the new session's context ("reads
 * the file at session start"). It must be fast (it delays every session start) and must never
 * block a session: for a jsonl bridge it imports nothing but node: (and the bridge's chat.ts,
 * which imports nothing) and reads the bridge file directly (the paths were resolved by
 * `agentnet claude install`). For a bridge in PostgreSQL
 * the hook gets `--config` instead (so no password lands in Claude Code's settings) and loads
 * the config and the bridge lazily, within a time limit. On any trouble it prints a one-line
 * note and exits 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chatOf } from '../bridge/chat.ts';

export interface SessionStartOptions {
  /** The jsonl bridge file. */
  bridge: string;
  agent: string;
  /** Requests without `to` go to this agent too (it is the config's first orchestrator). */
  defaultRecipient: boolean;
  store?: string;
  network?: string;
  /** Most requests to show in full. */
  limit?: number;
}

/** How long the hook may spend reaching a server bridge before it gives up (fails open). */
const SERVER_TIMEOUT_MS = 5_000;

interface Record {
  id: string;
  ts: string;
  from: string;
  type: string;
  to?: string;
  status: string;
  content: string;
  metadata?: { priority?: string; whatsapp_sender?: string; chat?: string; channel?: string; context?: string };
}

/** Sort order of priorities (inbox.ts uses it too). */
export const PRIORITY_RANK: { [p: string]: number } = { high: 0, normal: 1, low: 2 };
const MAX_CONTENT = 2000;

type Pending = Record & { sent: string };
type Claims = Map<string, { holder: string; until: string }>;

/** Requests for `agent` (or, for the default recipient, for no one), most urgent first, then oldest. */
function forAgent(all: Iterable<Pending>, agent: string, defaultRecipient: boolean): Pending[] {
  return [...all]
    .filter((m) => m.type === 'request' && m.status === 'pending' && (m.to === agent || (!m.to && defaultRecipient)))
    .sort((a, b) => (PRIORITY_RANK[a.metadata?.priority ?? 'normal'] ?? 1) - (PRIORITY_RANK[b.metadata?.priority ?? 'normal'] ?? 1) || Date.parse(a.sent) - Date.parse(b.sent));
}

function readPending(o: SessionStartOptions): Pending[] {
  if (!existsSync(o.bridge)) return [];
  const latest = new Map<string, Pending>();
  for (const line of readFileSync(o.bridge, 'utf8').split('\n')) {
    if (!line) continue;
    let r: Record;
    try {
      r = JSON.parse(line) as Record;
    } catch {
      continue; // a malformed line: the agents skip it too
    }
    if (typeof r?.id !== 'string') continue;
    const first = latest.get(r.id);
    latest.set(r.id, { ...r, sent: first?.sent ?? r.ts });
  }
  return forAgent(latest.values(), o.agent, o.defaultRecipient);
}

/** Claims held in the store (bridge-claims namespace), read-only. */
function readClaims(path: string | undefined): Claims {
  const claims: Claims = new Map();
  if (!path || !existsSync(path)) return claims;
  // Loaded only when there is something to show: node:sqlite costs the hook ~20 ms to load.
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as typeof import('node:sqlite');
  const db = new DatabaseSync(path, { readOnly: true, timeout: 200 });
  try {
    const rows = db.prepare("SELECT key, value FROM memory WHERE namespace = 'bridge-claims' AND (expires_at IS NULL OR expires_at > ?)").all(Date.now()) as Array<{ key: string; value: string }>;
    for (const r of rows) claims.set(r.key, JSON.parse(r.value) as { holder: string; until: string });
  } finally {
    db.close();
  }
  return claims;
}

/**
 * The pending requests and claims of a network whose bridge is not a local file (PostgreSQL):
 * through its config, the bridge and store opened like any command's.
 */
async function readFromNetwork(configFile: string, agent: string, defaultRecipient: boolean): Promise<{ network: string; pending: Pending[]; claims: Claims }> {
  const { loadConfig, bridgeSpec, storeSpec } = await import('../config/index.ts');
  const { openBridge } = await import('../bridge/index.ts');
  const { openStore } = await import('../store/index.ts');
  const { CLAIMS_NAMESPACE } = await import('./claims.ts');
  const { config } = loadConfig(configFile, { agents: [] });
  const bridge = await openBridge(bridgeSpec(config));
  try {
    const pending = forAgent((await bridge.list({ type: 'request', status: 'pending' })).map((m) => ({ ...(m as Record), sent: m.ts })), agent, defaultRecipient);
    const claims: Claims = new Map();
    if (pending.length > 0) {
      try {
        const store = await openStore(storeSpec(config));
        try {
          for (const e of await store.memory.list(CLAIMS_NAMESPACE)) claims.set(e.key, e.value as { holder: string; until: string });
        } finally {
          await store.close();
        }
      } catch {
        /* the claims are a nicety */
      }
    }
    return { network: config.network, pending, claims };
  } finally {
    await bridge.close();
  }
}

export function sessionStartText(o: SessionStartOptions): string {
  const pending = readPending(o);
  if (pending.length === 0) return formatSessionStart(o, pending, new Map());
  let claims: Claims = new Map();
  try {
    claims = readClaims(o.store);
  } catch {
    /* the claims are a nicety: without them the list is still right */
  }
  return formatSessionStart(o, pending, claims);
}

/** The text Claude Code adds to the session. */
export function formatSessionStart(o: { agent: string; network?: string; limit?: number }, pending: Pending[], claims: Claims): string {
  const where = o.network ? ` (agentnet network ${o.network})` : ' (agentnet)';
  if (pending.length === 0) return `${o.agent}${where}: no pending requests.\n`;
  const limit = o.limit ?? 10;
  const lines = [
    `${o.agent}${where}: ${pending.length} pending request${pending.length === 1 ? '' : 's'} for you, most urgent first.`,
    'Answer each with the agentnet MCP tools: bridge_claim (so no one else answers it), do the work, then bridge_reply; the answer reaches whoever asked (the owner\'s chat, for a relayed message). bridge_inbox shows the current list.',
    '',
  ];
  for (const m of pending.slice(0, limit)) {
    const meta = m.metadata ?? {};
    const chat = chatOf(m)?.chat;
    const claim = claims.get(m.id);
    lines.push(
      `- id ${m.id} · ${meta.priority ?? 'normal'} priority · from ${m.from}${chat ? ` (owner's chat ${chat})` : ''} · sent ${m.sent}${claim ? ` · claimed by ${claim.holder} until ${claim.until}` : ''}`,
      ...(meta.context ? [`  context: ${meta.context.slice(0, MAX_CONTENT)}`] : []),
      `  ${(m.content.length > MAX_CONTENT ? `${m.content.slice(0, MAX_CONTENT)}… (cut; bridge_inbox has it all)` : m.content).replace(/\n/g, '\n  ')}`,
    );
  }
  if (pending.length > limit) lines.push(`- and ${pending.length - limit} more (bridge_inbox lists them)`);
  return lines.join('\n') + '\n';
}

/** The hook's whole run: argv in, text out, exit 0 always. */
export async function runSessionStart(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const opt = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const bridge = opt('bridge');
  const config = opt('config');
  const agent = opt('as');
  if ((!bridge && !config) || !agent) {
    err('agentnet claude session-start: needs --bridge FILE (or --config FILE) and --as AGENT (agentnet claude install writes them); nothing to show\n');
    return 0;
  }
  if (!bridge) {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${SERVER_TIMEOUT_MS / 1000} s`)), SERVER_TIMEOUT_MS).unref());
    try {
      const { network, pending, claims } = await Promise.race([readFromNetwork(config!, agent, argv.includes('--default')), timeout]);
      out(formatSessionStart({ agent, network }, pending, claims));
    } catch (e) {
      out(`${agent} (agentnet): could not read the bridge (${(e as Error).message}); bridge_inbox may still work.\n`);
    }
    return 0;
  }
  try {
    const store = opt('store');
    const network = opt('network');
    out(sessionStartText({ bridge, agent, defaultRecipient: argv.includes('--default'), ...(store ? { store } : {}), ...(network ? { network } : {}) }));
  } catch (e) {
    // Fail open: a session must start even when the network is unreachable.
    out(`${agent} (agentnet): could not read the bridge (${(e as Error).message}); bridge_inbox may still work.\n`);
  }
  return 0;
}
