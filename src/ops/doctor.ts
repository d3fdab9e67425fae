/**
 * `agentnet doctor`: checks, in order, what a network needs to run, and for each failure says
 * exactly what to fix. Read-only: it never creates the bridge or the store, nor migrates.
 */
import { accessSync, constants, existsSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { inspectFileLock, openBridge } from '../bridge/index.ts';
import { GreenApiClient } from '../channels/green-api.ts';
import { stateHint } from '../channels/whatsapp.ts';
import { agentsOfThisHost, bridgeSpec, loadConfig, type Config, type ResolvedAgent } from '../config/index.ts';
import { createMemoryLogger } from '../log/logger.ts';
import { SCHEMA_VERSION } from '../store/sqlite-migrations.ts';
import { healthUrl } from '../agent/health-probe.ts';
import type { HealthReport } from '../agent/health.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  /** What was checked, e.g. "channel kami (whatsapp)". */
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for `warn` and `fail`. */
  fix?: string;
}

export interface DoctorOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** No calls to model or chat providers. */
  offline?: boolean;
  timeoutMs?: number;
  /** Each check as it completes. */
  onCheck?: (c: Check) => void;
}

/** Clocks further apart than this break leases, schedules and the monitor's "since". */
export const MAX_SKEW_MS = 5_000;
const LOW_DISK_BYTES = 100 * 1024 * 1024;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function runDoctor(o: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check) => {
    checks.push(c);
    o.onCheck?.(c);
  };
  const timeoutMs = o.timeoutMs ?? 5000;
  const here = hostname();

  // 1. The config: nothing else can be checked without it.
  let config: Config;
  let mine: ResolvedAgent[];
  if (!existsSync(o.configFile)) {
    add({ check: 'config', status: 'fail', detail: `no config file at ${o.configFile}`, fix: 'agentnet init writes the seed network here; or pass -c FILE (or set AGENTNET_CONFIG)' });
    return checks;
  }
  try {
    const all = loadConfig(o.configFile, { env: o.env, agents: [] }).config;
    const names = agentsOfThisHost(all, here);
    // This host's agents need their ${VAR}s set here.
    config = loadConfig(o.configFile, { env: o.env, agents: names }).config;
    mine = names.map((n) => config.agents[n]!);
    add({ check: 'config', status: 'ok', detail: `${o.configFile}: network ${config.network}, ${Object.keys(config.agents).length} agents (${mine.length} on this host)` });
  } catch (err) {
    add({ check: 'config', status: 'fail', detail: message(err).trim(), fix: `edit ${o.configFile} at the places named above (agentnet config check shows it resolved; agentnet init writes a working one)` });
    return checks;
  }

  // 2. The state directory.
  try {
    if (!existsSync(config.stateDir)) {
      // Not created here: the nearest existing parent must let the agents create it.
      let parent = dirname(config.stateDir);
      while (!existsSync(parent)) parent = dirname(parent);
      accessSync(parent, constants.W_OK);
      add({ check: 'state directory', status: 'ok', detail: `${config.stateDir} does not exist yet; ${parent} lets it be created` });
    } else {
      const probe = join(config.stateDir, `.doctor-${process.pid}`);
      writeFileSync(probe, 'ok');
      unlinkSync(probe);
      const fs = statfsSync(config.stateDir);
      const free = fs.bavail * fs.bsize;
      add(
        free < LOW_DISK_BYTES
          ? { check: 'state directory', status: 'warn', detail: `${config.stateDir}: only ${Math.round(free / 1048576)} MiB free`, fix: 'free disk space: a full disk stops the bridge from taking messages (agentnet bridge rotate archives old ones)' }
          : { check: 'state directory', status: 'ok', detail: `${config.stateDir} is writable, ${(free / 1073741824).toFixed(1)} GiB free` },
      );
    }
  } catch (err) {
    add({ check: 'state directory', status: 'fail', detail: `${config.stateDir}: ${message(err)}`, fix: `create it and let the agents' user write it: install -d -m 0700 ${config.stateDir} (add -o USER under sudo)` });
  }

  // 3-4 with PostgreSQL: the server answers, and the tables are this agentnet's version.
  if (config.store.backend === 'postgres' || config.bridge.backend === 'postgres') add(await checkPostgres(config));

  // 3. The bridge: readable, and its lock not left behind by a dead writer.
  const bridgePath = config.bridge.path;
  if (config.bridge.backend !== 'jsonl') {
    /* checked with PostgreSQL above */
  } else if (!existsSync(bridgePath)) {
    add({ check: 'bridge', status: 'ok', detail: `${bridgePath} does not exist yet (the first message creates it)` });
  } else {
    // The reader logs each line it skips: collect them instead of printing.
    const logger = createMemoryLogger();
    try {
      const bridge = await openBridge(bridgeSpec(config, { path: bridgePath, watch: false }), logger);
      try {
        const all = await bridge.list({});
        const pending = all.filter((m) => m.status === 'pending').length;
        const malformed = logger.entries.filter((e) => e.msg === 'skipped a malformed bridge line').map((e) => String(e.line));
        add(
          malformed.length
            ? { check: 'bridge', status: 'warn', detail: `${bridgePath}: ${all.length} messages, ${pending} pending; ${malformed.length} malformed lines skipped (line ${malformed.slice(0, 5).join(', ')})`, fix: `look at them with sed -n '${malformed[0]}p' ${bridgePath}; the agents skip them and lose nothing else` }
            : { check: 'bridge', status: 'ok', detail: `${bridgePath}: ${all.length} messages, ${pending} pending` },
        );
      } finally {
        await bridge.close();
      }
    } catch (err) {
      add({ check: 'bridge', status: 'fail', detail: `${bridgePath}: ${message(err)}`, fix: `make it readable and writable by the agents' user (ls -l ${bridgePath})` });
    }
  }
  const lock = config.bridge.backend === 'jsonl' ? inspectFileLock(`${bridgePath}.lock`) : undefined;
  if (config.bridge.backend !== 'jsonl') {
    /* no lock file */
  } else if (lock?.stale) {
    add({ check: 'bridge lock', status: 'fail', detail: `${bridgePath}.lock is stale: ${lock.stale}; held by ${lock.holder}`, fix: `the next writer breaks it on its own; if no agentnet process runs, remove it: rm ${bridgePath}.lock` });
  } else {
    add({ check: 'bridge lock', status: 'ok', detail: lock ? `held by ${lock.holder}` : 'free' });
  }

  // 4. The store: opens, and its schema is the one this agentnet writes.
  const storePath = config.store.path;
  if (config.store.backend !== 'sqlite') {
    /* checked with PostgreSQL above */
  } else if (!existsSync(storePath)) {
    add({ check: 'store', status: 'ok', detail: `${storePath} does not exist yet (the first agent start creates it)` });
  } else {
    try {
      const db = new DatabaseSync(storePath, { readOnly: true, timeout: 2000 });
      try {
        const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
        const version = hasTable ? ((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0) : 0;
        if (version === SCHEMA_VERSION) add({ check: 'store', status: 'ok', detail: `${storePath}: schema version ${version} (current)` });
        else if (version > SCHEMA_VERSION) add({ check: 'store', status: 'fail', detail: `${storePath}: schema version ${version} is newer than this agentnet knows (${SCHEMA_VERSION})`, fix: 'upgrade agentnet on this host to the version the other hosts run' });
        else add({ check: 'store', status: 'fail', detail: `${storePath}: schema version ${version}, ${SCHEMA_VERSION - version} migrations pending`, fix: 'start any agent (agentnet up, or agentnet run AGENT): migrations are applied when the store opens' });
      } finally {
        db.close();
      }
    } catch (err) {
      add({ check: 'store', status: 'fail', detail: `${storePath}: ${message(err)}`, fix: `check that it is a SQLite file the agents' user can read and write (ls -l ${storePath}); restore it from a backup if it is corrupt` });
    }
  }

  // 5. Models and 6. channels of this host's agents: one cheap authenticated call each.
  for (const a of mine) {
    const name = `model ${a.name} (${a.model.provider}${a.model.name ? `:${a.model.name}` : ''})`;
    if (a.model.provider === 'offline') add({ check: name, status: 'ok', detail: 'the offline model needs nothing' });
    else if (a.model.provider === 'claude-code') {
      const cmd = a.model.command ?? 'claude';
      const runnable = (p: string) => {
        try {
          accessSync(p, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      };
      const found = cmd.includes('/') ? runnable(resolve(dirname(config.file), cmd)) : (o.env.PATH ?? '').split(delimiter).some((d) => d && runnable(join(d, cmd)));
      add(
        found
          ? { check: name, status: 'ok', detail: `${cmd} ${cmd.includes('/') ? 'is executable' : 'is on PATH'}` }
          : { check: name, status: 'fail', detail: cmd.includes('/') ? `${cmd} is not an executable file` : `no ${cmd} executable on PATH`, fix: "install Claude Code (npm install -g @anthropic-ai/claude-code) for the agents' user, or set model.command to its path" },
      );
    } else if (o.offline) add({ check: name, status: 'skip', detail: '--offline' });
    else add(await checkModel(name, a, o.env, timeoutMs));
  }
  for (const a of mine) {
    const ch = a.channel;
    if (!ch || ch.type === 'terminal') continue;
    const name = `channel ${a.name} (${ch.type})`;
    if (o.offline) add({ check: name, status: 'skip', detail: '--offline' });
    else add(ch.type === 'whatsapp' ? await checkGreenApi(name, ch, timeoutMs) : await checkTelegram(name, ch, timeoutMs));
  }

  // 7. Every agent's health endpoint, and 8. the clocks of the other hosts.
  const skews: Check[] = [];
  await Promise.all(
    Object.values(config.agents).map(async (a) => {
      const url = healthUrl(a.health.host, a.health.port);
      const elsewhere = a.host !== undefined && a.host !== here;
      const unit = `agentnet-${config.network}-${a.name}`;
      const start = elsewhere ? `on ${a.host}: agentnet up ${a.name} (or systemctl start ${unit})` : `agentnet up ${a.name} (or systemctl start ${unit}); why it stopped: agentnet logs ${a.name}`;
      const sent = Date.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        const received = Date.now();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const h = (await res.json()) as HealthReport;
        if (h.status === 'degraded') add({ check: `agent ${a.name}`, status: 'fail', detail: `${url}: degraded: ${(h.problems ?? []).join('; ')}`, fix: `see agentnet logs ${a.name}` });
        else if (h.status === 'paused') add({ check: `agent ${a.name}`, status: 'warn', detail: `${url}: paused`, fix: 'agentnet resume, when you want it to take work again' });
        else add({ check: `agent ${a.name}`, status: 'ok', detail: `${url}: ok, up ${Math.round(h.uptime)} s, ${h.messagesProcessed} messages processed` });
        const date = Date.parse(res.headers.get('date') ?? '');
        if (elsewhere && !Number.isNaN(date)) {
          // The Date header has whole seconds: compare against the middle of the round trip, allow 1 s.
          const skew = date - (sent + received) / 2;
          const off = Math.abs(skew) > MAX_SKEW_MS + 1000;
          skews.push({ check: `clock ${a.host}`, status: off ? 'fail' : 'ok', detail: `${a.host} is ${(skew / 1000).toFixed(1)} s ${skew >= 0 ? 'ahead of' : 'behind'} this host`, ...(off ? { fix: `run time synchronisation on both hosts (timedatectl set-ntp true); leases and schedules need clocks within ${MAX_SKEW_MS / 1000} s` } : {}) });
        }
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        const why = cause === 'ECONNREFUSED' ? 'not running' : (err as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : message(err);
        add({ check: `agent ${a.name}`, status: 'fail', detail: `${url}: ${why}`, fix: `start it: ${start}` });
      }
    }),
  );
  const others = Object.values(config.agents).some((a) => a.host !== undefined && a.host !== here);
  if (skews.length) skews.forEach(add);
  else add({ check: 'clocks', status: others ? 'warn' : 'skip', detail: others ? 'no agent of another host answered, so their clocks could not be compared' : 'every agent runs on this host: one clock', ...(others ? { fix: 'start the other hosts\' agents and run doctor again' } : {}) });
  return checks;
}

async function checkModel(check: string, a: ResolvedAgent, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Check> {
  const m = a.model;
  const keyVar = m.provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY';
  const apiKey = m.apiKey ?? env[keyVar] ?? (m.provider === 'openai' && m.baseUrl ? 'none' : undefined);
  if (!apiKey) return { check, status: 'fail', detail: `no API key`, fix: `set ${keyVar} in the agent's environment (file), or model.apiKey: \${${keyVar}}` };
  const model = m.name ?? '';
  try {
    // Retrieving the configured model is free, needs the key, and proves the name exists.
    if (m.provider === 'anthropic') {
      const { default: Anthropic } = await import('@anthropic-ai/sdk');
      const client = new Anthropic({ apiKey, maxRetries: 0, timeout: timeoutMs, ...(m.baseUrl ? { baseURL: m.baseUrl } : {}) });
      await client.models.retrieve(model);
    } else {
      const { default: OpenAI } = await import('openai');
      const client = new OpenAI({ apiKey, maxRetries: 0, timeout: timeoutMs, ...(m.baseUrl ? { baseURL: m.baseUrl } : {}) });
      await client.models.retrieve(model);
    }
    return { check, status: 'ok', detail: `the key works and model ${model} exists` };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401 || status === 403) return { check, status: 'fail', detail: `the API key was refused (HTTP ${status})`, fix: `put a valid key in ${m.apiKey ? `agents.${a.name}.model.apiKey` : keyVar}` };
    if (status === 404) return { check, status: 'fail', detail: `the provider has no model "${model}"`, fix: `fix agents.${a.name}.model (e.g. ${m.provider === 'anthropic' ? 'anthropic:claude-sonnet-4-6' : 'openai:gpt-4o'})` };
    return { check, status: 'fail', detail: `unreachable: ${message(err)}`, fix: `check the network, and model.baseUrl${m.baseUrl ? ` (${m.baseUrl})` : ''}` };
  }
}

type WhatsAppConfig = Extract<NonNullable<ResolvedAgent['channel']>, { type: 'whatsapp' }>;
type TelegramConfig = Extract<NonNullable<ResolvedAgent['channel']>, { type: 'telegram' }>;

async function checkGreenApi(check: string, ch: WhatsAppConfig, timeoutMs: number): Promise<Check> {
  const client = new GreenApiClient({ apiUrl: ch.apiUrl, idInstance: ch.idInstance, apiToken: ch.apiToken, timeoutMs });
  try {
    const state = await client.getStateInstance();
    if (state === 'authorized') return { check, status: 'ok', detail: `instance ${ch.idInstance} is authorized` };
    return { check, status: 'fail', detail: `instance ${ch.idInstance} is ${state}`, fix: stateHint(state) ?? 'see the instance in the Green API console' };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401) return { check, status: 'fail', detail: `Green API refused the apiToken of instance ${ch.idInstance} (HTTP 401)`, fix: 'copy the apiTokenInstance from the Green API console into the channel\'s apiToken (its ${VAR})' };
    if (status === 403) return { check, status: 'fail', detail: `Green API does not know instance ${ch.idInstance} with this token (HTTP 403)`, fix: 'check idInstance and apiUrl against the Green API console' };
    return { check, status: 'fail', detail: `Green API unreachable: ${message(err)}`, fix: `check the network and apiUrl (${ch.apiUrl})` };
  }
}

async function checkTelegram(check: string, ch: TelegramConfig, timeoutMs: number): Promise<Check> {
  const { Api } = await import('grammy');
  const api = new Api(ch.token, { timeoutSeconds: Math.ceil(timeoutMs / 1000), ...(ch.apiRoot ? { apiRoot: ch.apiRoot.replace(/\/+$/, '') } : {}) });
  try {
    const me = await api.getMe();
    return { check, status: 'ok', detail: `bot @${me.username}` };
  } catch (err) {
    const code = (err as { error_code?: number }).error_code;
    if (code === 401 || code === 404) return { check, status: 'fail', detail: `Telegram refused the bot token (${code}: ${(err as { description?: string }).description ?? 'Unauthorized'})`, fix: 'put the token @BotFather gave you in the channel\'s token (its ${VAR})' };
    return { check, status: 'fail', detail: `Telegram unreachable: ${message(err).replaceAll(ch.token, '<token>')}`, fix: `check the network${ch.apiRoot ? ` and apiRoot (${ch.apiRoot})` : ''}` };
  }
}

/** PostgreSQL: reachable with the configured URL, and the tables' versions this agentnet's. */
async function checkPostgres(config: Config): Promise<Check> {
  const url = config.store.url ?? config.bridge.url!;
  const schema = config.store.schema ?? config.bridge.schema ?? 'agentnet';
  const { default: pg } = await import('pg');
  const { redactPgUrl } = await import('../pg/index.ts');
  const shown = `${redactPgUrl(url)} (schema ${schema})`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    return { check: 'postgres', status: 'fail', detail: `${shown}: ${message(err)}`, fix: 'start PostgreSQL (systemctl start postgresql), or fix the URL in the config (user, password, host, database; sslmode)' };
  }
  try {
    const exists = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'schema_migrations']);
    if (exists.rowCount === 0) return { check: 'postgres', status: 'ok', detail: `${shown}: reachable; no tables yet (the first agent start creates them)` };
    const { rows } = await client.query<{ component: string; v: number }>(`SELECT component, max(version) AS v FROM "${schema}".schema_migrations GROUP BY component ORDER BY component`);
    return { check: 'postgres', status: 'ok', detail: `${shown}: reachable; ${rows.map((r) => `${r.component} tables at version ${r.v}`).join(', ') || 'no tables yet'}` };
  } catch (err) {
    return { check: 'postgres', status: 'fail', detail: `${shown}: ${message(err)}`, fix: `the agents' database user needs CREATE and USAGE on schema ${schema}` };
  } finally {
    await client.end().catch(() => {});
  }
}
