/**
 * The network-wide PAUSE switch (the seed's escape hatch): a file named PAUSE in the state
 * directory. Every agent checks it before taking new work; `agentnet pause` / `resume` set it.
 */
import { readFileSync, rmSync, watch, writeFileSync, mkdirSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../errors.ts';

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

  #check(): void {
    const next = readPause(this.#stateDir);
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
  }
}
