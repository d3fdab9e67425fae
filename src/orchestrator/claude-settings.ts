/**
 * `agentnet claude install / uninstall`: the project's Claude Code configuration, merged, never
 * clobbered. Install adds the MCP server to `.mcp.json` (mcpServers.agentnet), and to
 * `.claude/settings.local.json` (or settings.json with --shared) a SessionStart hook
 * (matchers startup|resume|clear|compact), "agentnet" in enabledMcpjsonServers and
 * "mcp__agentnet" in permissions.allow (the server's tools run without a prompt, so `claude -p`
 * can use them). Uninstall removes exactly those, and a file or object left empty by the
 * removal.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AgentnetError } from '../errors.ts';

export const SERVER_NAME = 'agentnet';
export const SESSION_START_MATCHER = 'startup|resume|clear|compact';
/** The permission rule that allows every tool of the agentnet MCP server. */
export const TOOLS_RULE = `mcp__${SERVER_NAME}`;
/** What marks a hook command as ours. */
const OURS = / claude session-start /;

export interface InstallSpec {
  projectDir: string;
  shared: boolean;
  /** The MCP server entry: { type, command, args }. */
  server: { type: 'stdio'; command: string; args: string[] };
  /** The hook's shell command. */
  hookCommand: string;
}

type Json = Record<string, unknown>;

function readJson(path: string): Json | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (err) {
    throw new AgentnetError('CONFIG_PARSE', `${path} is not valid JSON (${(err as Error).message}); fix it by hand, agentnet will not overwrite it`);
  }
}

function writeJson(path: string, value: Json): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

export const settingsPath = (projectDir: string, shared: boolean) => join(projectDir, '.claude', shared ? 'settings.json' : 'settings.local.json');
export const mcpJsonPath = (projectDir: string) => join(projectDir, '.mcp.json');

const isOurServer = (v: unknown) => {
  const args = (v as { args?: unknown })?.args;
  return Array.isArray(args) && args.includes('mcp') && args.some((a) => typeof a === 'string' && /agentnet(\.js)?$/.test(a));
};

interface HookGroup {
  matcher?: string;
  hooks?: Array<{ type?: string; command?: string; timeout?: number }>;
}

/** Returns what changed, as lines for the user. */
export function installClaude(spec: InstallSpec, force = false): string[] {
  const changes: string[] = [];
  const mcpPath = mcpJsonPath(spec.projectDir);
  const setPath = settingsPath(spec.projectDir, spec.shared);
  // Read both before writing either: a broken file stops the install before anything changes.
  const mcp = readJson(mcpPath) ?? {};
  const settings = readJson(setPath) ?? {};

  const servers = (mcp.mcpServers ??= {}) as Json;
  const existing = servers[SERVER_NAME];
  if (existing && !isOurServer(existing) && !force) {
    throw new AgentnetError('FILE_EXISTS', `${mcpPath} already has an MCP server named "${SERVER_NAME}" that agentnet did not write; rename it, or pass --force to replace it`);
  }
  if (JSON.stringify(existing) !== JSON.stringify(spec.server)) {
    servers[SERVER_NAME] = spec.server;
    writeJson(mcpPath, mcp);
    changes.push(`${mcpPath}: MCP server "${SERVER_NAME}" ${existing ? 'updated' : 'added'}`);
  }

  let changed = false;
  const enabled = (settings.enabledMcpjsonServers ??= []) as unknown[];
  if (!Array.isArray(enabled)) throw new AgentnetError('CONFIG_INVALID', `${setPath}: enabledMcpjsonServers is not a list; fix it by hand`);
  if (!enabled.includes(SERVER_NAME)) {
    enabled.push(SERVER_NAME);
    changed = true;
  }
  if (addToList(settings, 'permissions', 'allow', TOOLS_RULE, setPath)) changed = true;
  const hooks = (settings.hooks ??= {}) as Json;
  const groups = (hooks.SessionStart ??= []) as HookGroup[];
  if (!Array.isArray(groups)) throw new AgentnetError('CONFIG_INVALID', `${setPath}: hooks.SessionStart is not a list; fix it by hand`);
  const wanted: HookGroup = { matcher: SESSION_START_MATCHER, hooks: [{ type: 'command', command: spec.hookCommand, timeout: 10 }] };
  const ours = groups.findIndex((g) => g.hooks?.some((h) => OURS.test(` ${h.command ?? ''} `)));
  if (ours < 0) {
    groups.push(wanted);
    changed = true;
  } else if (JSON.stringify(groups[ours]) !== JSON.stringify(wanted)) {
    groups[ours] = wanted;
    changed = true;
  }
  if (changed) {
    writeJson(setPath, settings);
    changes.push(`${setPath}: SessionStart hook (${SESSION_START_MATCHER}), enabledMcpjsonServers "${SERVER_NAME}" and permissions.allow "${TOOLS_RULE}"`);
  }
  return changes;
}

export function uninstallClaude(projectDir: string): string[] {
  const changes: string[] = [];
  const mcpPath = mcpJsonPath(projectDir);
  const mcp = readJson(mcpPath);
  const servers = mcp?.mcpServers as Json | undefined;
  if (mcp && servers && isOurServer(servers[SERVER_NAME])) {
    delete servers[SERVER_NAME];
    if (Object.keys(servers).length === 0) delete mcp.mcpServers;
    if (Object.keys(mcp).length === 0) unlinkSync(mcpPath);
    else writeJson(mcpPath, mcp);
    changes.push(`${mcpPath}: MCP server "${SERVER_NAME}" removed`);
  }
  for (const shared of [false, true]) {
    const path = settingsPath(projectDir, shared);
    const settings = readJson(path);
    if (!settings) continue;
    let changed = false;
    const enabled = settings.enabledMcpjsonServers;
    if (Array.isArray(enabled) && enabled.includes(SERVER_NAME)) {
      settings.enabledMcpjsonServers = enabled.filter((s) => s !== SERVER_NAME);
      if ((settings.enabledMcpjsonServers as unknown[]).length === 0) delete settings.enabledMcpjsonServers;
      changed = true;
    }
    if (removeFromList(settings, 'permissions', 'allow', TOOLS_RULE)) changed = true;
    const hooks = settings.hooks as Json | undefined;
    const groups = hooks?.SessionStart as HookGroup[] | undefined;
    if (hooks && Array.isArray(groups)) {
      const kept = groups
        .map((g) => ({ ...g, hooks: g.hooks?.filter((h) => !OURS.test(` ${h.command ?? ''} `)) }))
        .filter((g, i) => (g.hooks?.length ?? 0) > 0 || (groups[i]!.hooks?.length ?? 0) === 0);
      if (JSON.stringify(kept) !== JSON.stringify(groups)) {
        changed = true;
        if (kept.length) hooks.SessionStart = kept;
        else delete hooks.SessionStart;
        if (Object.keys(hooks).length === 0) delete settings.hooks;
      }
    }
    if (!changed) continue;
    if (Object.keys(settings).length === 0) unlinkSync(path);
    else writeJson(path, settings);
    changes.push(`${path}: SessionStart hook, enabledMcpjsonServers "${SERVER_NAME}" and permissions.allow "${TOOLS_RULE}" removed`);
  }
  return changes;
}

/** Adds `item` to settings[section][key] (a list), creating them; true when it was not there. */
function addToList(settings: Json, section: string, key: string, item: string, path: string): boolean {
  const parent = (settings[section] ??= {}) as Json;
  if (typeof parent !== 'object' || Array.isArray(parent)) throw new AgentnetError('CONFIG_INVALID', `${path}: ${section} is not an object; fix it by hand`);
  const list = (parent[key] ??= []) as unknown[];
  if (!Array.isArray(list)) throw new AgentnetError('CONFIG_INVALID', `${path}: ${section}.${key} is not a list; fix it by hand`);
  if (list.includes(item)) return false;
  list.push(item);
  return true;
}

/** Removes `item` from settings[section][key], and the list and section if that empties them. */
function removeFromList(settings: Json, section: string, key: string, item: string): boolean {
  const parent = settings[section] as Json | undefined;
  const list = parent?.[key];
  if (!parent || !Array.isArray(list) || !list.includes(item)) return false;
  const kept = list.filter((x) => x !== item);
  if (kept.length) parent[key] = kept;
  else delete parent[key];
  if (Object.keys(parent).length === 0) delete settings[section];
  return true;
}
