/** A clock tests move by hand: sleepers wake in time order as it passes them, nothing really waits. */
import { setImmediate as tick } from 'node:timers/promises';
import type { Clock } from '../../src/agent/clock.ts';

export class FakeClock implements Clock {
  #t: number;
  #sleepers: Array<{ at: number; wake: () => void }> = [];
  constructor(start: string | number) {
    this.#t = typeof start === 'string' ? Date.parse(start) : start;
  }
  now = () => this.#t;
  sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const s = { at: this.#t + ms, wake: resolve };
      this.#sleepers.push(s);
      signal.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((x) => x !== s);
        reject(signal.reason);
      }, { once: true });
    });
  /** Sleepers waiting now. */
  get waiting(): number {
    return this.#sleepers.length;
  }
  /** Moves time to `to`, waking each sleeper at its own time and letting it run before the next. */
  async advanceTo(to: string | number): Promise<void> {
    const target = typeof to === 'string' ? Date.parse(to) : to;
    for (;;) {
      await settle();
      const next = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#t = Math.max(this.#t, next.at);
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      next.wake();
    }
    this.#t = Math.max(this.#t, target);
    await settle();
  }
  /** Jumps without waking anyone in between (a machine that slept). */
  jumpTo(to: string): void {
    this.#t = Date.parse(to);
  }
}

/** Lets pending promise chains and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
}
