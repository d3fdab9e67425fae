/**
 * How a channel judges its own health (channel.ts's ChannelHealth): its problems by name, each a
 * sentence the owner can act on; whether its receiving side still hears the provider (a receive
 * cycle within the expected interval); and the last canary. A channel that cannot hear is never
 * `ok`, whatever its provider says about the account.
 */
import type { CanaryReport, ChannelHealth } from './channel.ts';

/** Added to a long poll's wait before a missing answer counts as deafness: the answer's way back, a slow provider. */
export const RECEIVE_MARGIN_MS = 5_000;

/** The receiving side's expected interval: the long poll's wait plus the margin, or a webhook's max silence. */
export function expectedReceiveMs(mode: 'poll' | 'webhook', o: { receiveTimeoutS: number; maxSilenceMs: number }): number {
  return mode === 'poll' ? o.receiveTimeoutS * 1000 + RECEIVE_MARGIN_MS : o.maxSilenceMs;
}

/** `12 s`, `5 min`, `2.5 h`: a span of time for a person. */
export function spellDuration(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 1 ? `${Math.round(ms / 1000)} s` : m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}

export interface ChannelConditionOptions {
  mode: 'poll' | 'webhook';
  expectedWithinMs: number;
  /** The clock health is judged by. */
  now: () => number;
  /** The provider's name in the sentences: `Green API`, `Telegram`. */
  provider: string;
}

/** A channel's health bookkeeping: named problems, the receive watch, the last canary. */
export class ChannelCondition {
  readonly #o: ChannelConditionOptions;
  readonly #problems = new Map<string, string>();
  #watchingSince: number | undefined;
  #lastCycle: number | undefined;
  #canary: CanaryReport | undefined;

  constructor(o: ChannelConditionOptions) {
    this.#o = o;
  }

  /** Sets a named problem, or clears it (`undefined`). */
  set(name: string, problem: string | undefined): void {
    if (problem === undefined) this.#problems.delete(name);
    else this.#problems.set(name, problem);
  }

  /** Whether a named problem is set. */
  has(name: string): boolean {
    return this.#problems.has(name);
  }

  /** The problems under these names (what a canary found), in the order they were first set. */
  problemsOf(names: readonly string[]): string[] {
    return [...this.#problems].filter(([n]) => names.includes(n)).map(([, p]) => p);
  }

  /** The receive watch begins (the channel started): silence is counted from here until the first cycle. */
  watch(): void {
    this.#watchingSince ??= this.#o.now();
  }

  /** A receive cycle completed: a long poll came back, a webhook was called, the provider confirmed nothing waits. */
  heard(): void {
    this.#lastCycle = this.#o.now();
  }

  /** Records a canary's outcome; returns it. */
  canaryDone(ok: boolean, detail: string): CanaryReport {
    this.#canary = { at: new Date(this.#o.now()).toISOString(), ok, detail };
    return this.#canary;
  }

  /** Why the channel cannot be trusted to hear the owner now, if it cannot. */
  deafness(): string | undefined {
    const since = this.#lastCycle ?? this.#watchingSince;
    if (since === undefined) return undefined;
    const silent = this.#o.now() - since;
    const expected = this.#o.expectedWithinMs;
    if (silent <= expected) return undefined;
    const heard = this.#lastCycle === undefined ? 'since the start' : `for ${spellDuration(silent)}`;
    return this.#o.mode === 'poll'
      ? `deaf: no long poll to ${this.#o.provider} has come back ${heard} (expected within ${spellDuration(expected)}: the wait plus ${spellDuration(RECEIVE_MARGIN_MS)}); messages to it may not arrive`
      : `deaf: no webhook call and no confirmation from ${this.#o.provider} ${heard} (maxSilence ${spellDuration(expected)}); check that ${this.#o.provider} can reach the webhook, or keep the canary on`;
  }

  /** The health report, under the provider's word for its state. */
  report(state: string): ChannelHealth {
    const deaf = this.deafness();
    const problems = [...this.#problems.values(), ...(deaf ? [deaf] : [])];
    return {
      ok: problems.length === 0,
      state,
      ...(problems.length ? { detail: problems.join('; ') } : {}),
      problems,
      receive: {
        mode: this.#o.mode,
        lastCycleAt: this.#lastCycle === undefined ? null : new Date(this.#lastCycle).toISOString(),
        expectedWithinMs: this.#o.expectedWithinMs,
      },
      ...(this.#canary ? { canary: this.#canary } : {}),
    };
  }
}
