import { stringify } from 'yaml';
import { maskSecrets } from '../config/index.ts';
import { CONFIG_HELP, CONFIG_OPTION, readConfig, type Command } from './command.ts';

export const configCheckCommand: Command = {
  usage: 'agentnet config check [--json] [-c FILE]',
  help: `Parses agentnet.yaml, substitutes \${ENV} references, applies defaults and prints the result.
Values that came from the environment and keys that name secrets are masked. Exits 1 with
the file, line and path of every problem when the config is invalid.

Options:
${CONFIG_HELP}
  --json              print JSON instead of YAML`,
  options: { ...CONFIG_OPTION, json: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const { config, secretPaths } = readConfig(values, io);
    const masked = maskSecrets(config, secretPaths);
    if (values.json) io.out(JSON.stringify(masked, null, 2) + '\n');
    else {
      io.out(`# ${config.file}: valid; ${Object.keys(config.agents).length} agents\n`);
      io.out(stringify(masked));
    }
  },
};
