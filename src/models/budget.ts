/**
 * A per-agent daily model budget (tokens and estimated cost, from the config). Usage is kept in
 * `<stateDir>/agents/<agent>/usage.json` and starts again each UTC day. When it is spent the
 * agent stops calling its model: `complete` throws BUDGET_EXHAUSTED without a network call.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentnetError } from '../errors.ts';
import type { Model } from './model.ts';

export interface Price {
  /** US dollars per million input tokens. */
  inputPerMTok: number;
  outputPerMTok: number;
}

/** List prices for common models (USD per million tokens); `model.price` in the config overrides. */
const PRICES: Array<[RegExp, Price]> = [
  [/claude-(opus-4|3-opus)/, { inputPerMTok: 15, outputPerMTok: 75 }],
  [/claude-.*sonnet/, { inputPerMTok: 3, outputPerMTok: 15 }],
  [/claude-.*haiku-4/, { inputPerMTok: 1, outputPerMTok: 5 }],
  [/claude-.*haiku/, { inputPerMTok: 0.8, outputPerMTok: 4 }],
  [/gpt-4o-mini/, { inputPerMTok: 0.15, outputPerMTok: 0.6 }],
  [/gpt-4o/, { inputPerMTok: 2.5, outputPerMTok: 10 }],
];

export function priceOf(modelName: string | undefined, override?: Price): Price | undefined {
  if (override) return override;
  return modelName ? PRICES.find(([re]) => re.test(modelName))?.[1] : undefined;
}

export interface Usage {
  day: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Set once a provider reported a cost itself (claude-code): the cost budget then holds without a price. */
  costReported?: boolean;
  /** Set once the owner was told the budget is spent, so a restart does not tell again. */
  noticeSent?: boolean;
}

export interface BudgetLimits {
  tokensPerDay?: number;
  costPerDayUsd?: number;
}

const today = (now = new Date()) => now.toISOString().slice(0, 10);

export class Budget {
  readonly #file: string;
  readonly #limits: BudgetLimits;
  readonly #price: Price | undefined;
  #usage: Usage;

  constructor(file: string, limits: BudgetLimits, price: Price | undefined) {
    this.#file = file;
    this.#limits = limits;
    this.#price = price;
    let usage: Usage | undefined;
    try {
      usage = JSON.parse(readFileSync(file, 'utf8')) as Usage;
    } catch {
      /* first run */
    }
    this.#usage = usage?.day === today() ? usage : { day: today(), inputTokens: 0, outputTokens: 0, costUsd: 0 };
  }

  /** Dollars left today under `costPerDayUsd`, when there is such a limit. */
  costLeftUsd(): number | undefined {
    if (this.#limits.costPerDayUsd === undefined) return undefined;
    this.#rollover();
    return Math.max(0, this.#limits.costPerDayUsd - this.#usage.costUsd);
  }

  get usage(): Usage {
    this.#rollover();
    return { ...this.#usage };
  }

  /** Why the budget is spent, or undefined while there is some left. */
  exhausted(): string | undefined {
    this.#rollover();
    const u = this.#usage;
    const tokens = u.inputTokens + u.outputTokens;
    if (this.#limits.tokensPerDay !== undefined && tokens >= this.#limits.tokensPerDay) {
      return `used ${tokens} of ${this.#limits.tokensPerDay} tokens today`;
    }
    if (this.#limits.costPerDayUsd !== undefined && (this.#price || u.costReported) && u.costUsd >= this.#limits.costPerDayUsd) {
      return `spent about $${u.costUsd.toFixed(2)} of $${this.#limits.costPerDayUsd.toFixed(2)} today`;
    }
    return undefined;
  }

  /** `costUsd`: what the provider says the call cost (claude-code); otherwise it is priced here. */
  record(inputTokens: number, outputTokens: number, costUsd?: number): void {
    if (inputTokens === 0 && outputTokens === 0 && !costUsd) return; // the offline model: nothing to write
    this.#rollover();
    this.#usage.inputTokens += inputTokens;
    this.#usage.outputTokens += outputTokens;
    if (costUsd !== undefined) {
      this.#usage.costUsd += costUsd;
      this.#usage.costReported = true;
    } else if (this.#price) this.#usage.costUsd += (inputTokens * this.#price.inputPerMTok + outputTokens * this.#price.outputPerMTok) / 1e6;
    this.#save();
  }

  /** True the first time it is called on a day the budget is spent (across restarts). */
  takeNotice(): boolean {
    this.#rollover();
    if (this.#usage.noticeSent) return false;
    this.#usage.noticeSent = true;
    this.#save();
    return true;
  }

  #save(): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(this.#usage) + '\n');
    renameSync(`${this.#file}.tmp`, this.#file);
  }

  #rollover(): void {
    if (this.#usage.day !== today()) this.#usage = { day: today(), inputTokens: 0, outputTokens: 0, costUsd: 0 };
  }
}

/** The model, stopped when the budget is spent; `onExhausted` hears each refusal. */
export function withBudget(model: Model, budget: Budget, onExhausted: (reason: string) => void): Model {
  return {
    id: model.id,
    isLanguageModel: model.isLanguageModel,
    async complete(request) {
      const reason = budget.exhausted();
      if (reason) {
        onExhausted(reason);
        throw new AgentnetError('BUDGET_EXHAUSTED', `the model budget for today is spent (${reason}); it resets at 00:00 UTC`);
      }
      let res;
      try {
        res = await model.complete(request);
      } catch (err) {
        // A failed run may still have cost something (claude-code reports it): count it.
        const u = (err as { usage?: { inputTokens: number; outputTokens: number; costUsd?: number } })?.usage;
        if (u) budget.record(u.inputTokens, u.outputTokens, u.costUsd);
        throw err;
      }
      budget.record(res.usage.inputTokens, res.usage.outputTokens, res.usage.costUsd);
      return res;
    },
  };
}
