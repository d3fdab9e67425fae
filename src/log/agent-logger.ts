/**
 * An agent's structured log: pino, one JSON object per line (`ts`, `level`, `agent`, `event`,
 * ...), to the agent's log file and to stdout (journald under systemd), secrets redacted.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import type { Logger, LogLevel } from './logger.ts';
import { createRedactor, redactDeep } from './redact.ts';

export interface AgentLoggerOptions {
  agent: string;
  /** The log file; appended to. */
  file: string;
  level?: LogLevel;
  /** Also write to stdout (default true). */
  stdout?: boolean;
  /** Secret values that must never appear in a log line. */
  secrets?: Iterable<string>;
}

export interface AgentLogger extends Logger {
  /** Writes what is buffered to the file; call before exit. */
  flush(): void;
}

export function createAgentLogger(options: AgentLoggerOptions): AgentLogger {
  mkdirSync(dirname(options.file), { recursive: true });
  const redact = createRedactor(options.secrets);
  const streams: pino.StreamEntry[] = [{ stream: pino.destination({ dest: options.file, append: true, sync: true }) }];
  if (options.stdout !== false) streams.push({ stream: pino.destination({ dest: 1, sync: true }) });
  const log = pino(
    {
      level: options.level ?? 'info',
      base: { agent: options.agent },
      messageKey: 'event',
      serializers: {
        err: (e: unknown) =>
          e instanceof Error ? { type: e.name, message: e.message, ...('code' in e ? { code: e.code } : {}), stack: e.stack } : e,
      },
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactDeep(obj, redact) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          if (typeof args[1] === 'string') args[1] = redact(args[1]);
          method.apply(this, args);
        },
      },
    },
    pino.multistream(streams, { dedupe: false }),
  );
  return {
    debug: (f, m) => log.debug(f, m),
    info: (f, m) => log.info(f, m),
    warn: (f, m) => log.warn(f, m),
    error: (f, m) => log.error(f, m),
    flush: () => log.flush(),
  };
}
