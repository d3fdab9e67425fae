/** The jsonl bridge checks itself for `agentnet doctor`: readable, no malformed lines, no stale lock. */
import { existsSync } from 'node:fs';
import { messageOf, type Check } from '../errors.ts';
import { createMemoryLogger } from '../log/logger.ts';
import { createJsonlBridge, type JsonlBridgeOptions } from './jsonl.ts';
import { inspectFileLock } from './lock.ts';

/** The bridge file, read as the agents read it (never created here), and its lock. */
export async function checkJsonlBridge(spec: JsonlBridgeOptions): Promise<Check[]> {
  return [await checkFile(spec), checkLock(`${spec.path}.lock`)];
}

async function checkFile(spec: JsonlBridgeOptions): Promise<Check> {
  const { path } = spec;
  if (!existsSync(path)) return { check: 'bridge', status: 'ok', detail: `${path} does not exist yet (the first message creates it)` };
  // The reader logs each line it skips: collect them instead of printing.
  const logger = createMemoryLogger();
  try {
    const bridge = createJsonlBridge({ ...spec, watch: false, logger });
    try {
      const all = await bridge.list({});
      const pending = all.filter((m) => m.status === 'pending').length;
      const malformed = logger.entries.filter((e) => e.msg === 'skipped a malformed bridge line').map((e) => String(e.line));
      return malformed.length
        ? { check: 'bridge', status: 'warn', detail: `${path}: ${all.length} messages, ${pending} pending; ${malformed.length} malformed lines skipped (line ${malformed.slice(0, 5).join(', ')})`, fix: `look at them with sed -n '${malformed[0]}p' ${path}; the agents skip them and lose nothing else` }
        : { check: 'bridge', status: 'ok', detail: `${path}: ${all.length} messages, ${pending} pending` };
    } finally {
      await bridge.close();
    }
  } catch (err) {
    return { check: 'bridge', status: 'fail', detail: `${path}: ${messageOf(err)}`, fix: `make it readable and writable by the agents' user (ls -l ${path})` };
  }
}

function checkLock(lockPath: string): Check {
  const lock = inspectFileLock(lockPath);
  if (lock?.stale) return { check: 'bridge lock', status: 'fail', detail: `${lockPath} is stale: ${lock.stale}; held by ${lock.holder}`, fix: `the next writer breaks it on its own; if no agentnet process runs, remove it: rm ${lockPath}` };
  return { check: 'bridge lock', status: 'ok', detail: lock ? `held by ${lock.holder}` : 'free' };
}
