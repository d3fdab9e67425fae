/** `agentnet deploy systemd`: unit files and environment files for this host's agents. */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { agentsOfThisHost, findConfigFile } from '../config/index.ts';
import { loadNetworkConfig } from './network-config.ts';
import { AgentnetError } from '../errors.ts';
import { AGENTNET_BIN } from '../config/bin.ts';
import { agentEnvironment, systemdUnits, unitName, type GeneratedFile } from '../ops/systemd.ts';
import { CONFIG_HELP, CONFIG_OPTION, type Command } from './command.ts';

function writeFile(dir: string, f: GeneratedFile): string {
  mkdirSync(dir, { recursive: true, mode: f.kind === 'env' ? 0o700 : 0o755 });
  const path = join(dir, f.name);
  writeFileSync(path, f.content, { mode: f.mode });
  chmodSync(path, f.mode); // an existing file keeps its old mode otherwise
  return path;
}

export const deploySystemdCommand: Command = {
  usage: 'agentnet deploy systemd [AGENT...] [--user] [--out DIR] [--install [--root DIR]]',
  help: `Writes one unit per agent (default: the agents of this host) that runs
"agentnet run AGENT" with Restart=on-failure, RestartSec=10, journald output and a sandbox
(system units: NoNewPrivileges, ProtectSystem=strict with only the state directory writable,
ProtectHome, PrivateTmp unless the network lives under /tmp, a dedicated user). Secrets never go into a unit: each agent gets an
environment file, mode 0600, with the \${VAR}s its part of the config uses (filled in from
this shell's environment where set). Without --install nothing outside --out is touched.

Options:
  --user              units for your own service manager (systemctl --user) instead
  --out DIR           where to write them (default ./systemd)
  --install           also copy them into place (/etc/systemd/system and /etc/agentnet, or
                      ~/.config/systemd/user and ~/.config/agentnet with --user) and print
                      the systemctl commands that enable them
  --root DIR          with --install: install under DIR instead of / (like systemctl --root)
  --service-user NAME system units: the account the agents run as (default agentnet)
  --env-dir DIR       where the environment files live once installed
  --read-write PATH   another path the agents may write (repeatable)
${CONFIG_HELP}

Example:
  agentnet deploy systemd --install && sudo systemctl enable --now agentnet-home-kami.service
  (units are named agentnet-<network>-<agent>.service; agentnet init's network is home)`,
  positionals: true,
  options: {
    ...CONFIG_OPTION,
    user: { type: 'boolean' },
    out: { type: 'string' },
    install: { type: 'boolean' },
    root: { type: 'string' },
    'service-user': { type: 'string' },
    'env-dir': { type: 'string' },
    'read-write': { type: 'string', multiple: true },
  },
  async run(values, positionals, io) {
    const file = findConfigFile(values.config as string | undefined, io.env, io.cwd);
    const { config } = loadNetworkConfig(file, { env: io.env, agents: [] });
    const unknown = positionals.filter((p) => !config.agents[p]);
    if (unknown.length) throw new AgentnetError('AGENT_UNKNOWN', `no agent ${unknown.join(', ')} in ${file}`);
    const agents = positionals.length ? positionals : agentsOfThisHost(config);
    if (agents.length === 0) throw new AgentnetError('USAGE', `no agent in ${file} runs on this host (${hostname()}); name the agents: agentnet deploy systemd AGENT...`);
    if (values.root && !values.install) throw new AgentnetError('USAGE', '--root only applies with --install');
    const user = values.user === true;
    const serviceUser = (values['service-user'] as string | undefined) ?? 'agentnet';
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(serviceUser)) throw new AgentnetError('USAGE', `--service-user "${serviceUser}": expected a Unix account name`);
    const home = io.env.HOME ?? homedir();
    const unitDir = user ? join(home, '.config', 'systemd', 'user') : '/etc/systemd/system';
    const envDir = resolve(io.cwd, (values['env-dir'] as string | undefined) ?? (user ? join(home, '.config', 'agentnet') : '/etc/agentnet'));
    const rawConfig = parse(readFileSync(file, 'utf8')) as unknown;
    const files = systemdUnits(config, {
      user,
      agents,
      node: process.execPath,
      bin: AGENTNET_BIN,
      envDir,
      serviceUser,
      env: io.env,
      rawConfig,
      readWrite: ((values['read-write'] as string[] | undefined) ?? []).map((p) => resolve(io.cwd, p)),
    });

    const out = resolve(io.cwd, (values.out as string | undefined) ?? 'systemd');
    for (const f of files) writeFile(out, f);
    io.out(`wrote ${files.length} files to ${relative(io.cwd, out) || '.'}:\n${files.map((f) => `  ${f.name}${f.kind === 'env' ? ' (mode 0600)' : ''}\n`).join('')}`);
    const unset = agents.flatMap((a) => agentEnvironment(config, a, rawConfig, io.env).filter((v) => !v.set).map((v) => `${v.name} (${a})`));
    if (unset.length) io.out(`fill in, in the .env files: ${unset.join(', ')}\n`);

    const units = agents.map((a) => unitName(config.network, a));
    const sudo = user ? '' : 'sudo ';
    const ctl = user ? 'systemctl --user' : 'sudo systemctl';
    const steps: string[] = [];
    if (values.install) {
      const root = resolve(io.cwd, (values.root as string | undefined) ?? '/');
      for (const f of files) writeFile(join(root, f.kind === 'unit' ? unitDir : envDir), f);
      io.out(`installed into ${join(root, unitDir)} and ${join(root, envDir)}\n`);
    } else {
      steps.push(`${sudo}install -d -m 0755 ${unitDir}`, `${sudo}install -m 0644 ${out}/*.service ${unitDir}/`);
      steps.push(`${sudo}install -d -m 0700 ${envDir}`, `${sudo}install -m 0600 ${out}/*.env ${envDir}/`);
    }
    if (!user) {
      steps.push(
        `id ${serviceUser} >/dev/null 2>&1 || sudo useradd --system --no-create-home --shell /usr/sbin/nologin ${serviceUser}`,
        `sudo install -d -o ${serviceUser} -g ${serviceUser} -m 0700 ${config.stateDir}`,
        `# ${serviceUser} must be able to read ${config.file} and its prompts/`,
      );
    } else {
      steps.push(`# to keep them running after you log out: sudo loginctl enable-linger ${io.env.USER ?? '$USER'}`);
    }
    steps.push(`${ctl} daemon-reload`, `${ctl} enable --now ${units.join(' ')}`, `journalctl ${user ? '--user ' : ''}-u ${units[0]} -f`);
    io.out(`then:\n${steps.map((s) => `  ${s}\n`).join('')}`);
  },
};
