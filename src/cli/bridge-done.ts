import { AgentnetError } from '../errors.ts';
import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';

export const bridgeDoneCommand: Command = {
  usage: 'agentnet bridge done ID...',
  help: `Appends each message again with status done (the bridge is append-only). A message that is
already done is left as it is. Exits 1 if an id does not exist.

Options:
${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION },
  async run(values, positionals, io) {
    if (positionals.length === 0) throw new AgentnetError('USAGE', 'give the id of the message to mark done (see: agentnet bridge ls)');
    const { bridge } = await openConfiguredBridge(values, io);
    try {
      for (const id of positionals) {
        const before = await bridge.get(id);
        const after = await bridge.markDone(before ?? id);
        io.out(before?.status === 'done' ? `${after.id} was already done\n` : `${after.id} done\n`);
      }
    } finally {
      await bridge.close();
    }
  },
};
