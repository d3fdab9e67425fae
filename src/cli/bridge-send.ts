import { AgentnetError } from '../errors.ts';
import { MESSAGE_TYPES, PRIORITIES, type MessageType, type NewMessage, type Priority } from '../bridge/index.ts';
import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type Command } from './command.ts';

function parseMeta(pairs: string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new AgentnetError('USAGE', `--meta "${pair}": expected key=value`);
    meta[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return meta;
}

export const bridgeSendCommand: Command = {
  usage: 'agentnet bridge send --to AGENT [--type request] [--from NAME] [options] CONTENT... | -',
  help: `Appends one message (status pending) and prints its id. CONTENT is the words after the
options, or - to read it from standard input.

Options:
  --to AGENT          the addressee (an agent name)
  --type TYPE         request | response | notification (default: request)
  --from NAME         the sender (default: owner)
  --priority P        low | normal | high
  --reply-to ID       for a response: the request it answers
  --context TEXT      metadata.context
  --sender CHAT       metadata.whatsapp_sender: the chat an answer goes back to
  --meta KEY=VALUE    any other metadata (repeatable)
  --json              print the whole message as JSON
${CONFIG_HELP}

Example:
  agentnet bridge send --to claude --priority high "deploy the API to staging"`,
  positionals: true,
  options: {
    ...CONFIG_OPTION,
    to: { type: 'string' },
    type: { type: 'string' },
    from: { type: 'string' },
    priority: { type: 'string' },
    'reply-to': { type: 'string' },
    context: { type: 'string' },
    sender: { type: 'string' },
    meta: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  async run(values, positionals, io) {
    const type = (values.type as string | undefined) ?? 'request';
    if (!MESSAGE_TYPES.includes(type as MessageType)) {
      throw new AgentnetError('USAGE', `--type "${type}": expected one of ${MESSAGE_TYPES.join(', ')}`);
    }
    const priority = values.priority as string | undefined;
    if (priority !== undefined && !PRIORITIES.includes(priority as Priority)) {
      throw new AgentnetError('USAGE', `--priority "${priority}": expected one of ${PRIORITIES.join(', ')}`);
    }
    let content = positionals.join(' ');
    if (positionals.length === 1 && positionals[0] === '-') content = (await io.stdin()).replace(/\n$/, '');
    if (content.trim() === '') throw new AgentnetError('USAGE', 'nothing to send: give the content as arguments, or - to read standard input');
    const metadata: NonNullable<NewMessage['metadata']> = parseMeta((values.meta as string[] | undefined) ?? []);
    if (priority) metadata.priority = priority as Priority;
    if (values.context) metadata.context = values.context as string;
    if (values.sender) metadata.whatsapp_sender = values.sender as string;
    const message: NewMessage = {
      from: (values.from as string | undefined) ?? 'owner',
      type: type as MessageType,
      content,
      ...(values.to ? { to: values.to as string } : {}),
      ...(values['reply-to'] ? { replyTo: values['reply-to'] as string } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    const { bridge } = await openConfiguredBridge(values, io);
    try {
      const sent = await bridge.append(message);
      io.out(values.json ? JSON.stringify(sent) + '\n' : `${sent.id}\n`);
    } finally {
      await bridge.close();
    }
  },
};
