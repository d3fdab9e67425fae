/**
 * systemd units for the agents of a network: one service per agent running `agentnet run`,
 * restarted on failure (Restart= in [Service], where systemd reads it — the seed put it in
 * [Unit], where it is ignored), logging to journald, secrets in a 0600 environment file.
 */
import { dirname, join } from 'node:path';
import { envReferences, type Config, type ResolvedAgent } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import { AGENT_NODE_FLAGS } from './supervisor.ts';

export interface SystemdOptions {
  /** Units for the user's own service manager (`systemctl --user`), not the system's. */
  user: boolean;
  agents: string[];
  /** Absolute paths of the Node binary and of bin/agentnet.js. */
  node: string;
  bin: string;
  /** Where the environment files live once installed (EnvironmentFile= points there). */
  envDir: string;
  /** System units: the account the agents run as. */
  serviceUser: string;
  /** Where the values of the referenced variables come from (the generating shell's). */
  env: NodeJS.ProcessEnv;
  /** The config as parsed YAML, before `${VAR}` substitution: which variables each agent needs. */
  rawConfig: unknown;
  /** Further writable paths (a deployment's working copy is added on its own). */
  readWrite?: string[];
}

export interface GeneratedFile {
  /** File name (no directory). */
  name: string;
  kind: 'unit' | 'env';
  content: string;
  mode: number;
}

export interface EnvVariable {
  name: string;
  /** Where the config uses it, e.g. agents.kami.channel.apiToken. */
  usedAt: string;
  set: boolean;
}

export const unitName = (network: string, agent: string) => `agentnet-${network}-${agent}.service`;
export const envFileName = (network: string, agent: string) => `agentnet-${network}-${agent}.env`;

/** Paths under these are hidden by ProtectHome=yes. */
const HOME_DIRS = ['/home/', '/root/', '/run/user/'];

/** The paths, without any that lies inside another. */
function outermost(paths: string[]): string[] {
  const unique = [...new Set(paths)];
  return unique.filter((p) => !unique.some((q) => q !== p && p.startsWith(q.endsWith('/') ? q : q + '/')));
}

/** One word of a command line, quoted the way systemd splits ExecStart=. */
function execWord(word: string): string {
  const escaped = word.replaceAll('%', '%%').replaceAll('$', '$$$$');
  return /[\s"'\\;]/.test(escaped) ? `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : escaped;
}

/** A path in a list setting such as ReadWritePaths= (space-separated, quotes allowed, specifiers expanded). */
function pathWord(path: string): string {
  const escaped = path.replaceAll('%', '%%');
  return /[\s"\\]/.test(escaped) ? `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : escaped;
}

function envValue(v: string, name: string): string {
  if (/[\n\r]/.test(v)) throw new AgentnetError('DEPLOY_ENV_INVALID', `$${name} contains a line break, which an environment file cannot hold`);
  return /^[A-Za-z0-9_@%+=:,./-]*$/.test(v) ? v : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '\\$')}"`;
}

/** The variables agent `name` needs: its own `${VAR}`s, the config's shared ones, and its model SDK's key. */
export function agentEnvironment(config: Config, name: string, raw: unknown, env: NodeJS.ProcessEnv): EnvVariable[] {
  const vars = new Map<string, EnvVariable>();
  for (const ref of envReferences(raw)) {
    if (ref.path[0] === 'agents' && ref.path[1] !== name) continue;
    if (!vars.has(ref.variable)) vars.set(ref.variable, { name: ref.variable, usedAt: ref.path.join('.'), set: !!env[ref.variable] });
  }
  const model = config.agents[name]!.model;
  const sdkKey = model.provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : model.provider === 'openai' ? 'OPENAI_API_KEY' : undefined;
  if (sdkKey && !model.apiKey && !vars.has(sdkKey)) vars.set(sdkKey, { name: sdkKey, usedAt: `agents.${name}.model (the SDK reads it)`, set: !!env[sdkKey] });
  return [...vars.values()];
}

export function systemdUnits(config: Config, opts: SystemdOptions): GeneratedFile[] {
  return opts.agents.flatMap((name) => {
    const agent = config.agents[name];
    if (!agent) throw new AgentnetError('AGENT_UNKNOWN', `no agent ${name} in ${config.file}`);
    return [unitFile(config, opts, agent), environmentFile(config, opts, name)];
  });
}

/** The service unit of one agent. */
function unitFile(config: Config, opts: SystemdOptions, agent: ResolvedAgent): GeneratedFile {
  const name = agent.name;
  const envFile = join(opts.envDir, envFileName(config.network, name));
  const writable = outermost([
    config.stateDir,
    dirname(config.bridge.path),
    dirname(config.store.path),
    ...Object.values(agent.deployments).map((d) => d.cwd ?? dirname(config.file)),
    ...(opts.readWrite ?? []),
  ]);
  const exec = [opts.node, ...AGENT_NODE_FLAGS, opts.bin, 'run', name, '--config', config.file].map(execWord).join(' ');
  const lines = [
    `# agentnet network ${config.network}: agent ${name} (${agent.role}). Generated by agentnet deploy systemd.`,
    '[Unit]',
    `Description=agentnet ${config.network}: ${name} (${agent.role})`,
    'Documentation=https://www.npmjs.com/package/agentnet',
    'After=network-online.target',
    'Wants=network-online.target',
    // Give up after 5 crashes in 10 minutes rather than restart forever; `systemctl reset-failed` clears it.
    'StartLimitIntervalSec=600',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    `WorkingDirectory=${dirname(config.file).replaceAll('%', '%%')}`,
    `EnvironmentFile=${envFile.replaceAll('%', '%%')}`,
    'Environment=NODE_ENV=production',
    // Exit 0 (a confirmed "shutdown all" from the owner) is final; a crash is not.
    'Restart=on-failure',
    'RestartSec=10',
    // The agent finishes the message in hand within 10 s of SIGTERM.
    'TimeoutStopSec=30',
    'StandardOutput=journal',
    'StandardError=journal',
    `SyslogIdentifier=agentnet-${name}`,
    'NoNewPrivileges=yes',
    ...sandboxLines(opts, writable, [opts.node, opts.bin, config.file, ...writable]),
    '',
    '[Install]',
    `WantedBy=${opts.user ? 'default.target' : 'multi-user.target'}`,
    '',
  ];
  return { name: unitName(config.network, name), kind: 'unit', content: lines.join('\n'), mode: 0o644 };
}

/** The [Service] sandboxing: in full for a system unit, what a user manager can do for a user unit. */
function sandboxLines(opts: SystemdOptions, writable: string[], used: string[]): string[] {
  if (opts.user) {
    // A user manager cannot mount namespaces without user namespaces; system units get the full sandbox.
    return ['UMask=0077', 'LockPersonality=yes', 'RestrictSUIDSGID=yes', 'RestrictRealtime=yes'];
  }
  const underHome = used.some((p) => HOME_DIRS.some((h) => p.startsWith(h)));
  // PrivateTmp= gives the service an empty /tmp: a state directory there would vanish.
  const underTmp = used.some((p) => ['/tmp/', '/var/tmp/'].some((t) => p.startsWith(t)));
  return [
    `User=${opts.serviceUser}`,
    `Group=${opts.serviceUser}`,
    'UMask=0077',
    'ProtectSystem=strict',
    `ReadWritePaths=${writable.map(pathWord).join(' ')}`,
    // Anything under /home would be hidden by ProtectHome=yes; read-only keeps it readable.
    `ProtectHome=${underHome ? 'read-only' : 'yes'}`,
    ...(underTmp ? ['# PrivateTmp= left out: the network lives under /tmp'] : ['PrivateTmp=yes']),
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'CapabilityBoundingSet=',
    // Not MemoryDenyWriteExecute=: V8's JIT needs writable, executable memory.
  ];
}

/** The environment file one agent's unit reads: every ${VAR} its config uses, with the values set now. */
function environmentFile(config: Config, opts: SystemdOptions, name: string): GeneratedFile {
  const vars = agentEnvironment(config, name, opts.rawConfig, opts.env);
  const envLines = [
    `# Environment of agentnet agent ${name} (network ${config.network}), read by ${unitName(config.network, name)}.`,
    '# It holds secrets: keep it mode 0600, owned by root (systemd reads it before dropping privileges).',
  ];
  for (const v of vars) {
    envLines.push(`# used at ${v.usedAt}${v.set ? '' : ' (not set when generated: fill it in)'}`);
    envLines.push(`${v.name}=${v.set ? envValue(opts.env[v.name]!, v.name) : ''}`);
  }
  if (vars.length === 0) envLines.push('# The config refers to no ${VAR} for this agent.');
  return { name: envFileName(config.network, name), kind: 'env', content: envLines.join('\n') + '\n', mode: 0o600 };
}
