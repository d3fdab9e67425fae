/** The CLI dispatcher: picks the command from argv, parses its options, maps errors to exit codes. */
import { parseArgs } from 'node:util';
import { AgentnetError, errnoCode } from '../errors.ts';
import type { CliIo, Command } from './command.ts';
import { COMMANDS, type CommandEntry } from './commands.ts';
import { version } from './version.ts';

/** Exit codes: 0 success, 1 failure (the message says what to fix), 2 wrong usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;


function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `agentnet ${version()}: a personal network of AI agents, talking through a durable bridge.

Usage: agentnet <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

Run "agentnet <command> --help" for a command's options.
`;
}

function commandHelp(entry: CommandEntry, c: Command): string {
  return `Usage: ${c.usage}\n\n${entry.summary[0]!.toUpperCase()}${entry.summary.slice(1)}.\n\n${c.help}\n`;
}

/** The command's module, or undefined after saying why it cannot be loaded (a broken install: a dependency missing). */
export async function loadCommand(entry: CommandEntry, io: CliIo): Promise<Command | undefined> {
  try {
    return await entry.load();
  } catch (err) {
    io.err(`agentnet ${entry.name}: cannot load the command: ${(err as Error).message}\nThe installation is incomplete: run npm install (or reinstall agentnet).\n`);
    return undefined;
  }
}

/** The command named by the longest matching prefix of argv. */
function findCommand(argv: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const entry = COMMANDS.find((c) => c.name === name);
    if (entry) return { entry, rest: argv.slice(words) };
  }
  return undefined;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h') {
    io.out(overview());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.out(`${version()}\n`);
    return EXIT.ok;
  }
  if (first === 'help') {
    const found = findCommand(argv.slice(1));
    if (!found) {
      io.out(overview());
      return argv.length === 1 ? EXIT.ok : EXIT.usage;
    }
    const command = await loadCommand(found.entry, io);
    if (!command) return EXIT.failure;
    io.out(commandHelp(found.entry, command));
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
    if (group.length > 0 && (argv.length === 1 || argv[1]?.startsWith('-'))) {
      io.out(`Usage: agentnet ${first} <command>\n\n${group.map((c) => `  ${c.name.padEnd(16)}${c.summary}`).join('\n')}\n`);
      return argv[1] === '--help' || argv[1] === '-h' ? EXIT.ok : EXIT.usage;
    }
    io.err(`agentnet: unknown command "${argv.slice(0, group.length > 0 ? 2 : 1).join(' ')}". See: agentnet --help\n`);
    return EXIT.usage;
  }
  const { entry, rest } = found;
  const command = await loadCommand(entry, io);
  if (!command) return EXIT.failure;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(entry, command));
    return EXIT.ok;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: command.positionals ?? false, strict: true });
  } catch (err) {
    io.err(`agentnet ${entry.name}: ${(err as Error).message.split('\n')[0]}\nUsage: ${command.usage}\n`);
    return EXIT.usage;
  }
  try {
    return (await command.run(parsed.values, parsed.positionals, io)) ?? EXIT.ok;
  } catch (err) {
    if (err instanceof AgentnetError) {
      io.err(`agentnet ${entry.name}: ${err.message}\n`);
      return err.code === 'USAGE' ? EXIT.usage : EXIT.failure;
    }
    const code = errnoCode(err);
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT' || code === 'ENOSPC' || code === 'EROFS') {
      io.err(`agentnet ${entry.name}: ${(err as Error).message}\n`);
      return EXIT.failure;
    }
    io.err(`agentnet ${entry.name}: unexpected error: ${(err as Error).message}\n`);
    io.err(io.env.AGENTNET_DEBUG ? `${(err as Error).stack}\n` : 'This is a bug. Run again with AGENTNET_DEBUG=1 for the stack trace and report it.\n');
    return EXIT.failure;
  }
}
