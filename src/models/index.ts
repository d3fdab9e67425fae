/**
 * Model providers only: anthropic, openai (any OpenAI-compatible server) and offline, behind the
 * one Model contract; createModel maps a config's provider to its factory, and takes providers
 * that live higher up (claude-code, from orchestrator/) from its caller. Retries and the daily
 * budget wrap any provider. Imports only the base (errors.ts, log/, config/); never agent/,
 * the roles or ops/.
 */
export type { ChatMessage, Model, ModelRequest, ModelResponse, ToolCall, ToolSpec } from './model.ts';
export { createModel } from './registry.ts';
export type { ModelDeps, ModelProvider } from './registry.ts';
export { createOfflineModel, lastUserText } from './offline.ts';
export type { OfflineModelOptions } from './offline.ts';
export { retryable, withRetries } from './retry.ts';
export type { RetryOptions } from './retry.ts';
export { Budget, priceOf, withBudget } from './budget.ts';
export type { BudgetLimits, Price, Usage } from './budget.ts';
