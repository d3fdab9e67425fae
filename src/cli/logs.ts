import { closeSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { openIfExists } from '../bridge/jsonl-files.ts';
import { readLines, type FilePosition } from '../bridge/jsonl-lines.ts';
import { AgentnetError } from '../errors.ts';
import { CONFIG_HELP, CONFIG_OPTION, readConfig, type Command } from './command.ts';
import { parseSince, safeText } from './format.ts';
import { parseCount } from './bridge-filter-options.ts';

const LEVELS = ['debug', 'info', 'warn', 'error'];
type Entry = { ts?: string; level?: string; agent?: string; event?: string } & Record<string, unknown>;

function render(e: Entry): string {
  const { ts, level, agent, event, ...rest } = e;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  return safeText(`${ts ?? '?'} ${(level ?? '?').toUpperCase().padEnd(5)} ${agent ?? '?'}: ${event ?? ''}${extra ? `  ${extra}` : ''}`);
}

export const logsCommand: Command = {
  usage: 'agentnet logs [AGENT] [-f] [-n N] [--level L] [--event TEXT] [--since WHEN] [--json]',
  help: `Reads <stateDir>/logs/*.log (JSON lines: ts, level, agent, event, ...), merged by time.

Options:
  -f, --follow        keep printing new lines
  -n, --lines N       the last N matching lines first (default 50)
  --level L           this level and above: debug | info | warn | error
  --event TEXT        events containing TEXT
  --since WHEN        30m, 2h, 7d ago, or an ISO time
  --json              the raw JSON lines
${CONFIG_HELP}`,
  positionals: true,
  options: {
    ...CONFIG_OPTION,
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
    level: { type: 'string' },
    event: { type: 'string' },
    since: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(values, positionals, io) {
    const { config } = readConfig(values, io);
    const agent = positionals[0];
    if (agent && !config.agents[agent]) throw new AgentnetError('AGENT_UNKNOWN', `no agent "${agent}"; agents: ${Object.keys(config.agents).join(', ')}`);
    const level = values.level as string | undefined;
    if (level && !LEVELS.includes(level)) throw new AgentnetError('USAGE', `--level "${level}": expected one of ${LEVELS.join(', ')}`);
    const minLevel = level ? LEVELS.indexOf(level) : 0;
    const since = values.since ? parseSince(values.since as string).toISOString() : undefined;
    const eventText = values.event as string | undefined;
    const n = parseCount(values.lines as string | undefined, '--lines', 50);
    const dir = join(config.stateDir, 'logs');
    const files = () => {
      try {
        return readdirSync(dir).filter((f) => f.endsWith('.log') && (!agent || f === `${agent}.log`)).map((f) => join(dir, f));
      } catch {
        return []; // no logs directory yet: no agent has written a line
      }
    };
    const keep = (e: Entry) =>
      LEVELS.indexOf(e.level ?? 'info') >= minLevel && (!since || (e.ts ?? '') >= since) && (!eventText || String(e.event ?? '').includes(eventText));
    const positions = new Map<string, FilePosition>();
    const readNew = (): Array<{ e: Entry; raw: string }> => {
      const out: Array<{ e: Entry; raw: string }> = [];
      for (const file of files()) {
        const fd = openIfExists(file);
        if (fd === undefined) continue;
        try {
          let pos = positions.get(file) ?? { offset: 0, line: 0 };
          if (statSync(file).size < pos.offset) pos = { offset: 0, line: 0 }; // truncated or replaced
          for (const raw of readLines(fd, pos)) {
            pos = { offset: raw.end, line: raw.lineNo };
            try {
              const e = JSON.parse(raw.text) as Entry;
              if (keep(e)) out.push({ e, raw: raw.text });
            } catch {
              /* not a log line */
            }
          }
          positions.set(file, pos);
        } finally {
          closeSync(fd);
        }
      }
      return out.sort((a, b) => String(a.e.ts).localeCompare(String(b.e.ts)));
    };
    const print = (items: Array<{ e: Entry; raw: string }>) => {
      for (const { e, raw } of items) io.out((values.json ? raw : render(e)) + '\n');
    };
    const first = readNew();
    print(first.slice(Math.max(0, first.length - n)));
    if (!values.follow) return;
    const watcher = (() => {
      try {
        const w = watch(dir, () => print(readNew()));
        w.on('error', () => w.close()); // the directory went away: the poll carries on
        return w;
      } catch {
        return undefined;
      }
    })();
    const timer = setInterval(() => print(readNew()), 500);
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(timer);
    watcher?.close();
  },
};
