/**
 * A configured model checks itself for `agentnet doctor`: one cheap authenticated call for a
 * provider behind an API (retrieving the model is free, needs the key and proves the name), the
 * executable for claude-code, nothing for offline. Provider SDKs load only when checked.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { ModelConfig } from '../config/index.ts';
import { messageOf, type Check } from '../errors.ts';

export interface ModelCheckOptions {
  /** The agent whose model it is (named in fixes). */
  agent: string;
  env: NodeJS.ProcessEnv;
  /** Relative commands resolve against it: the config file's folder. */
  configDir: string;
  timeoutMs: number;
  /** No calls to model providers. */
  offline?: boolean;
}

export async function checkModel(check: string, m: ModelConfig, o: ModelCheckOptions): Promise<Check> {
  if (m.provider === 'offline') return { check, status: 'ok', detail: 'the offline model needs nothing' };
  if (m.provider === 'claude-code') return checkClaudeCodeCommand(check, m.command ?? 'claude', o);
  if (o.offline) return { check, status: 'skip', detail: '--offline' };
  return checkApiModel(check, m, o);
}

const runnable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function checkClaudeCodeCommand(check: string, cmd: string, o: ModelCheckOptions): Check {
  const isPath = cmd.includes('/');
  const found = isPath ? runnable(resolve(o.configDir, cmd)) : (o.env.PATH ?? '').split(delimiter).some((d) => d && runnable(join(d, cmd)));
  if (found) return { check, status: 'ok', detail: `${cmd} ${isPath ? 'is executable' : 'is on PATH'}` };
  return { check, status: 'fail', detail: isPath ? `${cmd} is not an executable file` : `no ${cmd} executable on PATH`, fix: "install Claude Code (npm install -g @anthropic-ai/claude-code) for the agents' user, or set model.command to its path" };
}

async function retrieve(m: ModelConfig, apiKey: string, timeoutMs: number): Promise<void> {
  const options = { apiKey, maxRetries: 0, timeout: timeoutMs, ...(m.baseUrl ? { baseURL: m.baseUrl } : {}) };
  if (m.provider === 'anthropic') {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    await new Anthropic(options).models.retrieve(m.name ?? '');
  } else {
    const { default: OpenAI } = await import('openai');
    await new OpenAI(options).models.retrieve(m.name ?? '');
  }
}

async function checkApiModel(check: string, m: ModelConfig, o: ModelCheckOptions): Promise<Check> {
  const keyVar = m.provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY';
  const apiKey = m.apiKey ?? o.env[keyVar] ?? (m.provider === 'openai' && m.baseUrl ? 'none' : undefined);
  if (!apiKey) return { check, status: 'fail', detail: `no API key`, fix: `set ${keyVar} in the agent's environment (file), or model.apiKey: \${${keyVar}}` };
  const model = m.name ?? '';
  try {
    await retrieve(m, apiKey, o.timeoutMs);
    return { check, status: 'ok', detail: `the key works and model ${model} exists` };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401 || status === 403) return { check, status: 'fail', detail: `the API key was refused (HTTP ${status})`, fix: `put a valid key in ${m.apiKey ? `agents.${o.agent}.model.apiKey` : keyVar}` };
    if (status === 404) return { check, status: 'fail', detail: `the provider has no model "${model}"`, fix: `fix agents.${o.agent}.model (e.g. ${m.provider === 'anthropic' ? 'anthropic:claude-sonnet-4-6' : 'openai:gpt-4o'})` };
    return { check, status: 'fail', detail: `unreachable: ${messageOf(err)}`, fix: `check the network, and model.baseUrl${m.baseUrl ? ` (${m.baseUrl})` : ''}` };
  }
}
