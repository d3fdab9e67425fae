/**
 * `agentnet inbox`: answers and notifications addressed to a person (the owner at the CLI, or
 * any name that is not an agent of the network). Nothing in the network consumes them, so they
 * wait here; reading marks them done, and `status` counts only work waiting for an agent.
 */
import { forPerson } from '../agent/network-status.ts';
import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';
import { formatMessage, safeText } from './format.ts';

export const inboxCommand: Command = {
  usage: 'agentnet inbox [--for NAME] [--peek] [--json]',
  help: `Prints the pending messages addressed to a person rather than an agent (what agents
answered to bridge send --from owner, the default), oldest first, and marks them done: read.

Options:
  --for NAME          only messages to NAME (default: every name that is not an agent)
  --peek              show them, leave them unread
  --json              one JSON object per line
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, for: { type: 'string' }, peek: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const { bridge, loaded } = await openConfiguredBridge(values, io);
    try {
      const who = values.for as string | undefined;
      const unread = (await bridge.list({ status: 'pending' })).filter((m) => forPerson(m, loaded.config) && (who === undefined || m.to === who));
      if (unread.length === 0 && !values.json) io.out(`no unread messages${who ? ` for ${safeText(who)}` : ''}\n`);
      for (const m of unread) {
        io.out(values.json ? `${JSON.stringify(m)}\n` : `${formatMessage(m, 120).split('\n')[0]}\n${safeText(m.content)}\n\n`);
        if (!values.peek) await bridge.markDone(m);
      }
    } finally {
      await bridge.close();
    }
  },
};
