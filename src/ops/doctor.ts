/**
 * `agentnet doctor`: checks, in order, what a network needs to run, and for each failure says
 * exactly what to fix. Read-only: it never creates the bridge or the store, nor migrates. Each
 * backend and adapter checks itself (checkBridge, checkStore, PostgreSQL's checkPostgres,
 * checkModel, checkChannel); this file orders the checks and adds the network's own: the
 * config, the state directory, every agent's health and the hosts' clocks.
 */
import { accessSync, constants, existsSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { checkBridge } from '../bridge/index.ts';
import { checkChannel } from '../channels/index.ts';
import { agentsOfThisHost, bridgeSpec, loadConfig, storeSpec, type Config, type ResolvedAgent } from '../config/index.ts';
import { messageOf, type Check } from '../errors.ts';
import { checkModel } from '../models/check.ts';
import { checkStore } from '../store/index.ts';
import { approvalPolicyGaps } from '../agent/approvals.ts';
import { healthUrl } from '../agent/health-probe.ts';
import { schedulePayloadProblems } from '../tasks/registry.ts';
import { MCP_TOOL_NAMES } from '../orchestrator/mcp-tools.ts';
import type { HealthReport } from '../agent/health.ts';

export type { Check, CheckStatus } from '../errors.ts';

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

/** Where each check goes as it completes. */
type Add = (c: Check) => void;

export async function runDoctor(o: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const add: Add = (c) => {
    checks.push(c);
    o.onCheck?.(c);
  };
  const timeoutMs = o.timeoutMs ?? 5000;
  const here = hostname();
  // 1. The config: nothing else can be checked without it.
  const loaded = checkConfig(o, here, add);
  if (!loaded) return checks;
  const { config, mine } = loaded;
  // 2. The state directory, 3. the bridge and 4. the store (with PostgreSQL, its server first).
  add(checkStateDir(config.stateDir));
  await checkStorage(config, add);
  // 5. Models and 6. channels of this host's agents: one cheap authenticated call each.
  const offline = o.offline ?? false;
  for (const a of mine) add(await checkModel(`model ${a.name} (${a.model.provider}${a.model.name ? `:${a.model.name}` : ''})`, a.model, { agent: a.name, env: o.env, configDir: dirname(config.file), timeoutMs, offline }));
  for (const a of mine) {
    const c = await checkChannel(a, { timeoutMs, offline });
    if (c) add(c);
  }
  // 7. Every agent's health endpoint, and 8. the clocks of the other hosts.
  await checkAgents(config, here, timeoutMs, add);
  // 9. What the agents' approve: policies promise and this version does not keep.
  checkApprovalPolicies(config).forEach(add);
  return checks;
}

/** The config, with this host's agents' ${VAR}s set here; undefined when it cannot be read. */
function checkConfig(o: DoctorOptions, here: string, add: Add): { config: Config; mine: ResolvedAgent[] } | undefined {
  if (!existsSync(o.configFile)) {
    add({ check: 'config', status: 'fail', detail: `no config file at ${o.configFile}`, fix: 'agentnet init writes the seed network here; or pass -c FILE (or set AGENTNET_CONFIG)' });
    return undefined;
  }
  try {
    const all = loadConfig(o.configFile, { env: o.env, agents: [], rules: [schedulePayloadProblems] }).config;
    const names = agentsOfThisHost(all, here);
    const config = loadConfig(o.configFile, { env: o.env, agents: names }).config;
    const mine = names.map((n) => config.agents[n]!);
    add({ check: 'config', status: 'ok', detail: `${o.configFile}: network ${config.network}, ${Object.keys(config.agents).length} agents (${mine.length} on this host)` });
    return { config, mine };
  } catch (err) {
    add({ check: 'config', status: 'fail', detail: messageOf(err).trim(), fix: `edit ${o.configFile} at the places named above (agentnet config check shows it resolved; agentnet init writes a working one)` });
    return undefined;
  }
}

/** Writable with room to spare, or (not created yet) creatable. */
function checkStateDir(stateDir: string): Check {
  const check = 'state directory';
  try {
    if (!existsSync(stateDir)) {
      // Not created here: the nearest existing parent must let the agents create it.
      let parent = dirname(stateDir);
      while (!existsSync(parent)) parent = dirname(parent);
      accessSync(parent, constants.W_OK);
      return { check, status: 'ok', detail: `${stateDir} does not exist yet; ${parent} lets it be created` };
    }
    const probe = join(stateDir, `.doctor-${process.pid}`);
    writeFileSync(probe, 'ok');
    unlinkSync(probe);
    const fs = statfsSync(stateDir);
    const free = fs.bavail * fs.bsize;
    return free < LOW_DISK_BYTES
      ? { check, status: 'warn', detail: `${stateDir}: only ${Math.round(free / 1048576)} MiB free`, fix: 'free disk space: a full disk stops the bridge from taking messages (agentnet bridge rotate archives old ones)' }
      : { check, status: 'ok', detail: `${stateDir} is writable, ${(free / 1073741824).toFixed(1)} GiB free` };
  } catch (err) {
    return { check, status: 'fail', detail: `${stateDir}: ${messageOf(err)}`, fix: `create it and let the agents' user write it: install -d -m 0700 ${stateDir} (add -o USER under sudo)` };
  }
}

/** The PostgreSQL server (once, for the bridge and the store alike), then the bridge's and the store's own checks. */
async function checkStorage(config: Config, add: Add): Promise<void> {
  if (config.store.backend === 'postgres' || config.bridge.backend === 'postgres') {
    const { checkPostgres } = await import('../pg/check.ts');
    add(await checkPostgres(config.store.url ?? config.bridge.url!, config.store.schema ?? config.bridge.schema ?? 'agentnet'));
  }
  (await checkBridge(bridgeSpec(config, { watch: false }))).forEach(add);
  (await checkStore(storeSpec(config))).forEach(add);
}

/** One warning per approve: policy gap (agent/approvals.ts); nothing when no agent has a policy. */
function checkApprovalPolicies(config: Config): Check[] {
  return Object.values(config.agents).flatMap((a) =>
    approvalPolicyGaps(a, MCP_TOOL_NAMES).map((detail): Check => ({ check: `approvals ${a.name}`, status: 'warn', detail, fix: `edit ${config.file}: agents.${a.name}.approve (README, Approvals)` })),
  );
}

/** Each agent's /health, and from those on other hosts the offset of their clock. */
async function checkAgents(config: Config, here: string, timeoutMs: number, add: Add): Promise<void> {
  const skews: Check[] = [];
  await Promise.all(
    Object.values(config.agents).map(async (a) => {
      const { health, skew } = await checkAgent(config, a, here, timeoutMs);
      add(health);
      if (skew) skews.push(skew);
    }),
  );
  const others = Object.values(config.agents).some((a) => a.host !== undefined && a.host !== here);
  if (skews.length) skews.forEach(add);
  else add({ check: 'clocks', status: others ? 'warn' : 'skip', detail: others ? 'no agent of another host answered, so their clocks could not be compared' : 'every agent runs on this host: one clock', ...(others ? { fix: 'start the other hosts\' agents and run doctor again' } : {}) });
}

async function checkAgent(config: Config, a: ResolvedAgent, here: string, timeoutMs: number): Promise<{ health: Check; skew?: Check }> {
  const url = healthUrl(a.health.host, a.health.port);
  const check = `agent ${a.name}`;
  const elsewhere = a.host !== undefined && a.host !== here;
  const sent = Date.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const received = Date.now();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const h = (await res.json()) as HealthReport;
    const health: Check =
      h.status === 'degraded'
        ? { check, status: 'fail', detail: `${url}: degraded: ${(h.problems ?? []).join('; ')}`, fix: `see agentnet logs ${a.name}` }
        : h.status === 'paused'
          ? { check, status: 'warn', detail: `${url}: paused`, fix: 'agentnet resume, when you want it to take work again' }
          : { check, status: 'ok', detail: `${url}: ok, up ${Math.round(h.uptime)} s, ${h.messagesProcessed} messages processed` };
    const date = Date.parse(res.headers.get('date') ?? '');
    return elsewhere && !Number.isNaN(date) ? { health, skew: clockCheck(a.host!, date, sent, received) } : { health };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const why = cause === 'ECONNREFUSED' ? 'not running' : (err as Error).name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : messageOf(err);
    const unit = `agentnet-${config.network}-${a.name}`;
    const start = elsewhere ? `on ${a.host}: agentnet up ${a.name} (or systemctl start ${unit})` : `agentnet up ${a.name} (or systemctl start ${unit}); why it stopped: agentnet logs ${a.name}`;
    return { health: { check, status: 'fail', detail: `${url}: ${why}`, fix: `start it: ${start}` } };
  }
}

/** Another host's clock from its Date header (whole seconds): against the middle of the round trip, 1 s allowed. */
function clockCheck(host: string, date: number, sent: number, received: number): Check {
  const skew = date - (sent + received) / 2;
  const off = Math.abs(skew) > MAX_SKEW_MS + 1000;
  return { check: `clock ${host}`, status: off ? 'fail' : 'ok', detail: `${host} is ${(skew / 1000).toFixed(1)} s ${skew >= 0 ? 'ahead of' : 'behind'} this host`, ...(off ? { fix: `run time synchronisation on both hosts (timedatectl set-ntp true); leases and schedules need clocks within ${MAX_SKEW_MS / 1000} s` } : {}) };
}
