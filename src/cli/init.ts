import { relative } from 'node:path';
import { initNetwork } from '../config/index.ts';
import type { Command } from './command.ts';

export const initCommand: Command = {
  usage: 'agentnet init [--dir DIR] [--network NAME] [--force]',
  help: `Writes agentnet.yaml and prompts/{claude,kami,kaylee}.md: an orchestrator, a relay and an
autonomous agent, all on the offline model, so the network runs before you add an API key.

Options:
  --dir DIR        where to write (default: the current directory)
  --network NAME   the network's name (default: home)
  --force          overwrite files that exist`,
  options: { dir: { type: 'string' }, network: { type: 'string' }, force: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const dir = (values.dir as string | undefined) ?? io.cwd;
    const { written } = initNetwork(dir, {
      force: values.force === true,
      ...(values.network ? { network: values.network as string } : {}),
    });
    for (const f of written) io.out(`wrote ${relative(io.cwd, f) || f}\n`);
    io.out('\nNext: agentnet config check, then agentnet bridge tail -f in one terminal and\nagentnet bridge send --to claude "hello" in another.\n');
  },
};
