/**
 * Long synchronous reads (a first start over a month of bridge lines, a rotation's worth of a
 * backlog) in slices: after `ms` of work the reader gives the event loop a turn, so /health and
 * the rest of the agent answer within a slice's time whatever the file's length.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export const SLICE_MS = 10;

export class LoopSlice {
  #since = performance.now();
  readonly #ms: number;

  constructor(ms = SLICE_MS) {
    this.#ms = ms;
  }

  /** Whether this slice has used its time (checked every line: a clock read costs ~50 ns). */
  spent(): boolean {
    return performance.now() - this.#since >= this.#ms;
  }

  /** Gives the event loop a turn, then starts a new slice. */
  async yield(): Promise<void> {
    await yieldToEventLoop();
    this.#since = performance.now();
  }
}
