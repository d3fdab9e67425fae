/** `agentnet doctor`: what is wrong with this network, and what to do about it. */
import { resolve } from 'node:path';
import { CONFIG_FILE_NAME } from '../config/index.ts';
import { runDoctor, type Check } from '../ops/doctor.ts';
import { CONFIG_HELP, CONFIG_OPTION, type Command } from './command.ts';
import { safeText } from './format.ts';

const MARK: Record<Check['status'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export const doctorCommand: Command = {
  usage: 'agentnet doctor [--offline] [--json] [--timeout MS]',
  help: `Checks, in order: the config is valid; the state directory is writable (and has disk
space); the bridge is readable and its lock not stale; the store opens and its schema is
current; each model of this host's agents answers with its key (Anthropic, OpenAI; claude
is on PATH for claude-code); each channel's credentials (Green API getStateInstance,
Telegram getMe); every agent's /health; the clock of every other host that answers. Each
failure comes with the fix. Read-only: it creates and migrates nothing.
Exit 0 only when nothing failed (warnings do not count).

Options:
  --offline           no calls to model or chat providers
  --json              print { ok, checks: [{ check, status, detail, fix }] }
  --timeout MS        per network check (default 5000)
${CONFIG_HELP}`,
  options: { ...CONFIG_OPTION, offline: { type: 'boolean' }, json: { type: 'boolean' }, timeout: { type: 'string' } },
  async run(values, _p, io) {
    // Not findConfigFile: a missing file is the first thing doctor reports, not an error.
    const configFile = resolve(io.cwd, (values.config as string | undefined) ?? io.env.AGENTNET_CONFIG ?? CONFIG_FILE_NAME);
    const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout);
    const print = (c: Check) => {
      if (values.json) return;
      io.out(safeText(`${MARK[c.status]}  ${c.check}: ${c.detail}`).replaceAll('\n', '\n        ') + '\n');
      if (c.fix) io.out(safeText(`      → ${c.fix}`) + '\n');
    };
    const checks = await runDoctor({ configFile, env: io.env, offline: values.offline === true, timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 5000, onCheck: print });
    const failed = checks.filter((c) => c.status === 'fail').length;
    const warned = checks.filter((c) => c.status === 'warn').length;
    if (values.json) io.out(JSON.stringify({ ok: failed === 0, checks }) + '\n');
    else io.out(failed ? `\n${failed} problem${failed > 1 ? 's' : ''} to fix${warned ? `, ${warned} warnings` : ''}\n` : `\nall good${warned ? ` (${warned} warnings)` : ''}\n`);
    return failed ? 1 : 0;
  },
};
