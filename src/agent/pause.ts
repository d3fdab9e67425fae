/**
 * The network-wide PAUSE switch (the seed's escape hatch): a file named PAUSE in the state
 * directory. Every agent checks it before taking new work; `agentnet pause` / `resume` set it.
 * When the network shares a store across hosts (PostgreSQL), `agentnet pause` keeps the pause
 * in the shared memory (network/pause) instead, so it stops the agents of every host; a PAUSE
 * file still pauses its own host.
 */
import { readFileSync, rmSync, watch, writeFileSync, mkdirSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { storeIsLocalFile, type Config } from '../config/index.ts';
import { errnoCode } from '../errors.ts';
import type { Memory } from '../store/index.ts';

export interface PauseState {
  paused: boolean;
  reason?: string;
  by?: string;
  since?: string;
}

export const pauseFile = (stateDir: string) => join(stateDir, 'PAUSE');

export function readPause(stateDir: string): PauseState {
  let text: string;
  try {
    text = readFileSync(pauseFile(stateDir), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { paused: false };
    // Something named PAUSE is there (a directory, an unreadable file): that still means pause.
    return { paused: true, reason: `PAUSE exists but cannot be read (${errnoCode(err) ?? 'error'})` };
  }
  // Any file named PAUSE pauses, as in the seed; ours carries who, why and since when.
  try {
    const body = JSON.parse(text) as Omit<PauseState, 'paused'>;
    return { paused: true, ...body };
  } catch {
    return { paused: true, ...(text.trim() ? { reason: text.trim() } : {}) };
  }
}

export function pauseNetwork(stateDir: string, info: { reason?: string; by?: string } = {}): PauseState {
  mkdirSync(stateDir, { recursive: true });
  const body = { ...info, since: new Date().toISOString() };
  writeFileSync(pauseFile(stateDir), JSON.stringify(body) + '\n');
  return { paused: true, ...body };
}

/** Removes PAUSE; returns whether the network was paused. */
export function resumeNetwork(stateDir: string): boolean {
  const was = readPause(stateDir).paused;
  rmSync(pauseFile(stateDir), { force: true });
  return was;
}

const SHARED = { namespace: 'network', key: 'pause' } as const;

/** The pause kept in a shared store (the network spans hosts). */
export async function readSharedPause(memory: Memory): Promise<PauseState> {
  const e = await memory.get(SHARED.namespace, SHARED.key);
  return e ? { paused: true, ...(e.value as Omit<PauseState, 'paused'>) } : { paused: false };
}

/** Whether the pause must also go through the store: its agents may run on other hosts. */
const shared = (config: Config, memory: Memory | undefined): memory is Memory => memory !== undefined && !storeIsLocalFile(config);

/** The network's pause: this host's PAUSE file, or the shared one. */
export async function readNetworkPause(config: Config, memory?: Memory): Promise<PauseState> {
  const local = readPause(config.stateDir);
  if (local.paused || !shared(config, memory)) return local;
  return readSharedPause(memory);
}

/**
 * Pauses the network: the PAUSE file here or, for a shared store, the shared pause every host
 * follows (not a file here, which a resume from another host could not remove).
 */
export async function pauseEverywhere(config: Config, memory: Memory | undefined, info: { reason?: string; by?: string } = {}): Promise<PauseState> {
  if (!shared(config, memory)) return pauseNetwork(config.stateDir, info);
  const body = { ...info, since: new Date().toISOString() };
  await memory.set(SHARED.namespace, SHARED.key, body, { by: info.by ?? 'agentnet' });
  return { paused: true, ...body };
}

/** Resumes the network everywhere; returns whether it was paused. */
export async function resumeEverywhere(config: Config, memory: Memory | undefined, by = 'agentnet'): Promise<boolean> {
  const was = (await readNetworkPause(config, memory)).paused;
  resumeNetwork(config.stateDir);
  if (shared(config, memory)) await memory.delete(SHARED.namespace, SHARED.key, { by });
  return was;
}

/**
 * Follows the PAUSE file: notified by fs.watch, with a 500 ms poll as the safety net, so an
 * agent resumes within a second of the file going away.
 */
export class PauseWatch {
  readonly #stateDir: string;
  #state: PauseState;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout;
  #waiters: Array<() => void> = [];
  readonly #onChange: (state: PauseState) => void;
  /** The last pause read from the shared store, when the network has one. */
  #shared: PauseState = { paused: false };
  #sharedTimer: NodeJS.Timeout | undefined;

  constructor(stateDir: string, onChange: (state: PauseState) => void = () => {}) {
    this.#stateDir = stateDir;
    this.#onChange = onChange;
    mkdirSync(stateDir, { recursive: true });
    this.#state = readPause(stateDir);
    try {
      this.#watcher = watch(stateDir, (_e, name) => {
        if (name === null || name === 'PAUSE') this.#check();
      });
      this.#watcher.on('error', () => this.#watcher?.close());
    } catch {
      /* polling only */
    }
    this.#timer = setInterval(() => this.#check(), 500);
    this.#timer.unref();
  }

  get state(): PauseState {
    return this.#state;
  }

  /** Also follows a pause kept in a shared store, read every `everyMs` (a read that fails keeps the last state). */
  share(read: () => Promise<PauseState>, everyMs = 1000): void {
    // One read at a time: while the store waits out an outage, polls must not pile up.
    let reading = false;
    const poll = () => {
      if (reading) return;
      reading = true;
      void read()
        .then(
          (s) => {
            this.#shared = s;
            this.#check();
          },
          () => {},
        )
        .finally(() => (reading = false));
    };
    void poll();
    this.#sharedTimer = setInterval(poll, everyMs);
    this.#sharedTimer.unref();
  }

  #check(): void {
    const local = readPause(this.#stateDir);
    const next = local.paused ? local : this.#shared;
    if (next.paused === this.#state.paused) return;
    this.#state = next;
    this.#onChange(next);
    if (!next.paused) for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves when the network is not paused (at once if it is not); rejects when `signal` aborts. */
  untilResumed(signal?: AbortSignal): Promise<void> {
    this.#check();
    if (!this.#state.paused) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        reject(signal!.reason);
      };
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.#watcher?.close();
    clearInterval(this.#timer);
    clearInterval(this.#sharedTimer);
  }
}
