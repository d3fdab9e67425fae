/** Finds, reads, substitutes and validates agentnet.yaml into a frozen, fully resolved Config. */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { AgentnetError } from '../errors.ts';
import { substituteEnv, type Substitution } from './env.ts';
import { ConfigError, locate, problemsFromIssues } from './errors.ts';
import { configSchema, type AgentConfig, type ParsedConfig } from './schema.ts';

export const CONFIG_FILE_NAME = 'agentnet.yaml';

export interface ResolvedAgent extends AgentConfig {
  name: string;
  /** Absolute path of the prompt file. */
  prompt: string;
}

export interface Config extends Omit<ParsedConfig, 'agents' | 'bridge' | 'store'> {
  /** Absolute path of the config file. */
  file: string;
  /** Absolute state directory. */
  stateDir: string;
  /** `path` is the jsonl file (also where a postgres bridge's local state would go); `url`/`schema` are set for postgres. */
  bridge: Omit<ParsedConfig['bridge'], 'backend'> & { backend: 'jsonl' | 'postgres'; path: string };
  store: ParsedConfig['store'] & { path: string };
  agents: Record<string, ResolvedAgent>;
}

export interface LoadedConfig {
  config: Config;
  /** Dotted paths whose values came from the environment (masked when printed). */
  secretPaths: ReadonlySet<string>;
}

/** A problem a `ConfigRule` finds: the path of the value (`['agents', 'kaylee', 'schedules', 0, 'payload', 'deployment']`) and what to write. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

/**
 * A check of the parsed config that belongs to a layer above config (a task kind knows what its
 * payload needs; config must not import the kinds). The loader's caller hands the rules in; their
 * problems are reported with the schema's, located like them (file, line, path, what to write).
 */
export type ConfigRule = (config: ParsedConfig) => RuleProblem[];

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Checks from the layers above config, run with the schema's own. */
  rules?: readonly ConfigRule[];
  /**
   * Which agents' `${VAR}` references must be set. An agent that runs on another machine may use
   * variables this machine does not have: for the others an unset `${VAR}` stays as its text.
   * Default: all agents.
   */
  agents?: string[];
}

/** The agents this machine runs: those without `host`, or with this hostname. */
export function agentsOfThisHost(config: Pick<Config, 'agents'>, here = hostname()): string[] {
  return Object.values(config.agents).filter((a) => a.host === undefined || a.host === here).map((a) => a.name);
}

/** `--config`, else $AGENTNET_CONFIG, else ./agentnet.yaml. */
export function findConfigFile(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const file = resolve(cwd, explicit ?? env.AGENTNET_CONFIG ?? CONFIG_FILE_NAME);
  if (!existsSync(file)) {
    const how = explicit ? '--config' : env.AGENTNET_CONFIG ? '$AGENTNET_CONFIG' : 'the current directory';
    throw new AgentnetError(
      'CONFIG_NOT_FOUND',
      `no config file at ${file} (from ${how}). Create one with \`agentnet init\`, or pass --config FILE.`,
    );
  }
  return file;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(file: string, options: LoadOptions = {}): LoadedConfig {
  const text = readFileSync(file, 'utf8');
  return parseConfig(text, file, options);
}

/** Parses config text; `file` names it in errors and anchors relative paths. */
export function parseConfig(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_PARSE',
      file,
      doc.errors.map((e) => {
        const pos = counter.linePos(e.pos[0]);
        return { path: '', message: `YAML syntax error: ${e.message.split('\n')[0]}`, line: pos.line, col: pos.col };
      }),
    );
  }
  const raw = toJS(doc, counter, file);
  const sub: Substitution = { secretPaths: new Set(), missing: [] };
  const wanted = options.agents;
  // An agent that runs elsewhere may use variables this machine does not have.
  const elsewhere = (path: (string | number)[]) => path[0] === 'agents' && wanted !== undefined && !wanted.includes(String(path[1]));
  const substituted = substituteEnv(raw ?? {}, options.env ?? process.env, sub, [], elsewhere);
  const missing = sub.missing;
  if (missing.length > 0) {
    throw new ConfigError(
      'CONFIG_ENV_MISSING',
      file,
      missing.map(({ variable, path }) => ({
        path: path.join('.'),
        message: `environment variable ${variable} is not set`,
        ...locate(doc, counter, path),
      })),
      'Set them in the environment (or the agent\'s environment file), or give a default: ${NAME:-value}.',
    );
  }
  const parsed = withRules(options.rules ?? []).safeParse(substituted, { reportInput: true });
  if (!parsed.success) throw new ConfigError('CONFIG_INVALID', file, problemsFromIssues(parsed.error.issues, doc, counter));

  const dir = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const cfg = parsed.data;
  const stateDir = abs(cfg.stateDir);
  const config: Config = {
    ...cfg,
    file: resolve(file),
    stateDir,
    bridge: resolveBridge(cfg, cfg.bridge.path ? abs(cfg.bridge.path) : join(stateDir, 'bridge', 'messages.jsonl')),
    store: { ...cfg.store, path: cfg.store.path ? abs(cfg.store.path) : join(stateDir, 'store.db') },
    agents: Object.fromEntries(
      Object.entries(cfg.agents).map(([name, a]) => [
        name,
        {
          ...a,
          name,
          prompt: abs(a.prompt ?? join('prompts', `${name}.md`)),
          deployments: Object.fromEntries(Object.entries(a.deployments).map(([k, d]) => [k, { ...d, ...(d.cwd ? { cwd: abs(d.cwd) } : {}) }])),
          reviews: Object.fromEntries(Object.entries(a.reviews).map(([k, r]) => [k, { ...r, repo: abs(r.repo) }])),
        },
      ]),
    ),
  };
  checkPromptFiles(cfg, config, wanted, doc, counter, file);
  return { config: deepFreeze(config), secretPaths: sub.secretPaths };
}

/**
 * A `prompt:` that names no file is a mistake (a misspelled path), not a reason to run the
 * role's default prompt in silence. Checked for the agents of this host that are wanted (the
 * others' files live on their machines). Without `prompt:`, a missing prompts/<agent>.md still
 * means the default prompt.
 */
function checkPromptFiles(cfg: ParsedConfig, config: Config, wanted: string[] | undefined, doc: Document, counter: LineCounter, file: string): void {
  const here = hostname();
  const problems = Object.entries(cfg.agents)
    .filter(([name, a]) => a.prompt !== undefined && (wanted ?? [name]).includes(name) && (a.host === undefined || a.host === here))
    .filter(([name]) => !existsSync(config.agents[name]!.prompt))
    .map(([name, a]) => ({
      path: `agents.${name}.prompt`,
      message: `no such file: ${config.agents[name]!.prompt} (from "${a.prompt}", relative to the config file); fix the path, or remove prompt: to use the role's default`,
      ...locate(doc, counter, ['agents', name, 'prompt']),
    }));
  if (problems.length > 0) throw new ConfigError('CONFIG_INVALID', file, problems);
}

/** The config schema with the rules of the layers above added to its own checks. */
function withRules(rules: readonly ConfigRule[]) {
  if (rules.length === 0) return configSchema;
  return configSchema.superRefine((cfg, ctx) => {
    for (const rule of rules) for (const p of rule(cfg)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });
}

/** The document's value; a file whose aliases would expand without bound ("billion laughs") is a located parse error, not a crash. */
function toJS(doc: Document, counter: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml's alias errors are plain ReferenceErrors with no code: their text is all there is.
    if (!/alias/i.test((err as Error).message)) throw err;
    let first: { range?: [number, number, number] | null; source?: string } | undefined;
    visit(doc, { Alias: (_, node) => ((first = node), visit.BREAK) });
    const at = first?.range ? counter.linePos(first.range[0]) : undefined;
    throw new ConfigError(
      'CONFIG_PARSE',
      file,
      [{ path: '', message: `YAML aliases${first?.source ? ` (*${first.source} and others)` : ''} expand to too many values: ${(err as Error).message}`, ...(at ? { line: at.line, col: at.col } : {}) }],
      `agentnet refuses a file whose aliases (*name) expand more than ${MAX_ALIAS_COUNT} times over, so a crafted file cannot exhaust memory. Write the values out, or use fewer nested aliases.`,
    );
  }
}

/** yaml's own default: an alias may be expanded this many times over in all. */
const MAX_ALIAS_COUNT = 100;

/** A bridge without a backend of its own follows the store: PostgreSQL for both, by default. */
function resolveBridge(cfg: ParsedConfig, path: string): Config['bridge'] {
  const backend = cfg.bridge.backend ?? (cfg.store.backend === 'postgres' ? 'postgres' : 'jsonl');
  const url = cfg.bridge.url ?? (cfg.store.backend === 'postgres' ? cfg.store.url : undefined);
  const schema = cfg.bridge.schema ?? (cfg.store.backend === 'postgres' ? cfg.store.schema : undefined);
  return { ...cfg.bridge, backend, path, ...(url ? { url } : {}), ...(schema ? { schema } : {}) };
}
