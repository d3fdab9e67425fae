/** `agentnet bridge send`: appends one message; with --wait, prints the answer to it. */
import { AgentnetError } from '../errors.ts';
import { isTraceId, MESSAGE_TYPES, newTraceId, PRIORITIES, type Bridge, type BridgeMessage, type MessageType, type NewMessage, type Priority } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import { forPerson } from '../agent/network-status.ts';
import { CONFIG_HELP, CONFIG_OPTION, openConfiguredBridge, type CliIo, type Command, type Values } from './command.ts';
import { safeText } from './format.ts';

/** Resolves with the first response to `id()` appended from now on, or undefined when `signal` aborts. */
function watchAnswer(bridge: Bridge, id: () => string | undefined, signal: AbortSignal): { ready: Promise<void>; answer: Promise<BridgeMessage | undefined> } {
  let settle!: (m: BridgeMessage | undefined) => void;
  const answer = new Promise<BridgeMessage | undefined>((resolve) => (settle = resolve));
  const sub = bridge.subscribe({ from: 'end', filter: { type: 'response' }, signal }, (m) => {
    if (m.replyTo !== undefined && m.replyTo === id()) settle(m);
  });
  signal.addEventListener('abort', () => settle(undefined), { once: true });
  return { ready: sub.ready, answer: answer.finally(() => void sub.close()) };
}

function parseTimeout(values: Values): number {
  const t = values.timeout === undefined ? 300 : Number(values.timeout);
  if (!Number.isFinite(t) || t <= 0) throw new AgentnetError('USAGE', '--timeout: expected a number of seconds');
  return t;
}

/** Appends, then waits for the answer: prints it and marks it read when it was addressed to a person. */
async function sendAndWait(bridge: Bridge, config: Config, message: NewMessage, values: Values, io: CliIo): Promise<number> {
  const timeout = parseTimeout(values);
  const stop = AbortSignal.any([io.signal, AbortSignal.timeout(timeout * 1000)]);
  let sentId: string | undefined;
  const watch = watchAnswer(bridge, () => sentId, stop);
  await watch.ready;
  const sent = await bridge.append(message);
  sentId = sent.id;
  // An answer appended between the append and the first delivery is caught by the watch; one
  // already there (a very fast agent) by this read.
  const answer = (await bridge.answerOf(sent.id)) ?? (await watch.answer);
  if (!answer) {
    const why = io.signal.aborted ? 'stopped waiting' : `no answer within ${timeout} s`;
    throw new AgentnetError('BRIDGE_WAIT_TIMEOUT', `${why} to ${sent.id}; it stays on the bridge, and its answer will wait in agentnet inbox`);
  }
  io.out(values.json ? `${JSON.stringify(answer)}\n` : `${safeText(answer.content)}\n`);
  if (forPerson(answer, config)) await bridge.markDone(answer);
  return 0;
}

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
options, or - to read it from standard input. With --wait, prints the answer instead (its
content; the whole response with --json) once an agent has answered, marks it read, and
exits 1 if none came within --timeout. Without --wait, an answer to a person (the default
sender is owner) waits in agentnet inbox.

Options:
  --to AGENT          the addressee (an agent name)
  --type TYPE         request | response | notification (default: request)
  --from NAME         the sender (default: owner)
  --priority P        low | normal | high
  --reply-to ID       for a response: the request it answers
  --context TEXT      metadata.context
  --sender CHAT       metadata.whatsapp_sender: the chat an answer goes back to
  --meta KEY=VALUE    any other metadata (repeatable); trace=ID joins an existing trace
                      (by default the message starts its own: agentnet trace ID)
  --json              print the whole message as JSON
  --wait              wait for the answer and print it
  --timeout S         with --wait: give up after S seconds (default 300; exit 1)
${CONFIG_HELP}

Examples:
  agentnet bridge send --to claude --priority high "deploy the API to staging"
  agentnet bridge send --wait --to claude status"`,
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
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
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
    // A request enters the network here: it starts its own trace (agentnet trace ID), unless given one to join.
    if (metadata.trace === undefined) metadata.trace = newTraceId();
    else if (!isTraceId(metadata.trace)) throw new AgentnetError('USAGE', `--meta trace=${String(metadata.trace)}: a trace id is 32 lowercase hex digits (agentnet trace --json shows one)`);
    const message: NewMessage = {
      from: (values.from as string | undefined) ?? 'owner',
      type: type as MessageType,
      content,
      ...(values.to ? { to: values.to as string } : {}),
      ...(values['reply-to'] ? { replyTo: values['reply-to'] as string } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    if (values.timeout !== undefined && !values.wait) throw new AgentnetError('USAGE', '--timeout goes with --wait');
    const { bridge, loaded } = await openConfiguredBridge(values, io);
    try {
      if (values.wait) return await sendAndWait(bridge, loaded.config, message, values, io);
      const sent = await bridge.append(message);
      io.out(values.json ? JSON.stringify(sent) + '\n' : `${sent.id}\n`);
    } finally {
      await bridge.close();
    }
  },
};
