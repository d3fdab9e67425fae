/** The logging interface library code writes to; pino's call shape, so a pino logger fits. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/** A logger that drops everything (tests, libraries used quietly). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A human-readable logger for the CLI: `agentnet warn: <msg> (key=value ...)` on stderr.
 * Agent processes use structured JSON logs instead.
 */
export function createCliLogger(options: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const min = LEVELS[options.level ?? 'warn'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: LogLevel) => (fields: Record<string, unknown>, msg?: string) => {
    if (LEVELS[level] < min) return;
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    write(`agentnet ${level}: ${msg ?? ''}${extra ? ` (${extra})` : ''}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that keeps entries in an array; for tests that assert on what was logged. */
export function createMemoryLogger(): Logger & { entries: Array<{ level: LogLevel; msg?: string } & Record<string, unknown>> } {
  const entries: Array<{ level: LogLevel; msg?: string } & Record<string, unknown>> = [];
  const at = (level: LogLevel) => (fields: Record<string, unknown>, msg?: string) => {
    entries.push({ ...fields, level, msg });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
