/**
 * One `agentnet up` per state directory, and an `up` that does not outlive its launcher.
 *
 * Ownership: `up` creates `<stateDir>/up.pid` (exclusively) with its pid; a second `up` finds a
 * live owner there and refuses; `agentnet down` reads it and signals that pid. A file left by an
 * `up` that died (its pid gone, or reused by a process that is not agentnet) is taken over.
 *
 * Launcher: started through `npx` the chain is npm → sh → node, and a signal to npm (or npm
 * dying) does not reach node. `up` remembers its parents up to the npm process that launched it
 * and stops when that chain breaks (a parent exits and its child is adopted by another process).
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentnetError, errnoCode } from '../errors.ts';

export interface UpOwner {
  pid: number;
  network: string;
  config: string;
  startedAt: string;
}

export const upPidFile = (stateDir: string): string => join(stateDir, 'up.pid');

/** Whether a process with this pid exists (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
  return procStat(pid)?.state !== 'Z';
}

/** State and parent pid from /proc (Linux); undefined elsewhere or when the process is gone. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; it ends at the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** The owner recorded in the state directory, if that process is still an agentnet process. */
export function readUpOwner(stateDir: string): UpOwner | undefined {
  let owner: UpOwner;
  try {
    owner = JSON.parse(readFileSync(upPidFile(stateDir), 'utf8')) as UpOwner;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(owner.pid) || !processAlive(owner.pid)) return undefined;
  // A pid reused by an unrelated process after a crash is not an owner (checkable on Linux).
  const cmd = cmdline(owner.pid);
  if (cmd !== undefined && !/agentnet/.test(cmd)) return undefined;
  return owner;
}

/**
 * Makes this process the network's `up`. Throws UP_RUNNING, naming the owner, when another live
 * `up` holds the state directory. Returns a release function (removes the file if still ours).
 */
export function claimUp(stateDir: string, network: string, config: string): () => void {
  mkdirSync(stateDir, { recursive: true });
  const file = upPidFile(stateDir);
  const me: UpOwner = { pid: process.pid, network, config, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      return () => releaseUp(stateDir);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    const owner = readUpOwner(stateDir);
    if (owner) throw new AgentnetError('UP_RUNNING', `network ${owner.network} is already running (pid ${owner.pid}); stop it with agentnet down`);
    // Left by an `up` that is gone: take it over.
    try {
      unlinkSync(file);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  throw new AgentnetError('UP_RUNNING', `could not claim ${file}: another agentnet up keeps starting; stop it with agentnet down`);
}

function releaseUp(stateDir: string): void {
  try {
    const owner = JSON.parse(readFileSync(upPidFile(stateDir), 'utf8')) as UpOwner;
    if (owner.pid === process.pid) unlinkSync(upPidFile(stateDir));
  } catch {
    /* already gone */
  }
}

const isNpm = (cmd: string | undefined): boolean => cmd !== undefined && /(^|[/\s])(npm|npx)(-cli\.js)?(\s|$)|npm exec/.test(cmd);

/**
 * The processes whose exit should stop this one: the direct parent always; when npm launched us
 * (npx, npm exec, npm run), every process up to and including that npm. Linux only beyond the parent.
 */
export function launcherChain(): number[] {
  const chain = [process.ppid];
  let pid = process.ppid;
  for (let depth = 0; depth < 3 && !isNpm(cmdline(pid)); depth++) {
    const parent = procStat(pid)?.ppid;
    if (!parent || parent <= 1) return [process.ppid];
    chain.push(parent);
    pid = parent;
  }
  return isNpm(cmdline(pid)) ? chain : [process.ppid];
}

/**
 * Calls `onGone` once when the launcher chain breaks: this process or one of the chain was
 * adopted by another parent (its parent exited). Polls once a second; the timer does not keep
 * the process alive. Returns a stop function.
 */
export function watchLauncher(onGone: (why: string) => void, intervalMs = 1000): () => void {
  const chain = launcherChain();
  const timer = setInterval(() => {
    const why = brokenLink(chain);
    if (why) {
      clearInterval(timer);
      onGone(why);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function brokenLink(chain: number[]): string | undefined {
  if (process.ppid !== chain[0]) return `its parent (pid ${chain[0]}) exited`;
  for (let i = 1; i < chain.length; i++) {
    const stat = procStat(chain[i - 1]!);
    if (!stat || stat.ppid !== chain[i] || stat.state === 'Z') return `its launcher (pid ${chain[i]}) exited`;
  }
  return undefined;
}
