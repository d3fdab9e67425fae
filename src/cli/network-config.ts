/**
 * The config as the CLI reads it: the config layer's own checks plus the rules that belong to the
 * layers above it (a schedule's payload, checked by its task kind), located in the file alike.
 */
import { loadConfig, parseConfig, type ConfigRule, type LoadedConfig, type LoadOptions } from '../config/index.ts';
import { schedulePayloadProblems } from '../tasks/registry.ts';

const RULES: readonly ConfigRule[] = [schedulePayloadProblems];

/** `loadConfig` with the task kinds' rules. */
export function loadNetworkConfig(file: string, options: LoadOptions = {}): LoadedConfig {
  return loadConfig(file, { ...options, rules: [...RULES, ...(options.rules ?? [])] });
}

/** `parseConfig` with the task kinds' rules. */
export function parseNetworkConfig(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  return parseConfig(text, file, { ...options, rules: [...RULES, ...(options.rules ?? [])] });
}
