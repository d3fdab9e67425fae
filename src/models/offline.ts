/**
 * The offline model: what an agent uses when no model is configured, so a new user sees the
 * whole network work before adding an API key. It is a fixed, documented policy, not a
 * language model, and says so in every answer:
 *
 * 1. A message that is just "status" (or "סטטוס" / "מצב") is answered with the real network
 *    state: each agent's health, pending bridge messages, paused or not.
 * 2. Anything else is acknowledged, quoted back, and marked as not acted on, with what to
 *    configure for real answers.
 */
import type { Model, ModelRequest, ModelResponse } from './model.ts';

export interface OfflineModelOptions {
  agent: string;
  /** The network's state, as `agentnet status` reports it. */
  networkStatus: () => Promise<string>;
}

const STATUS = /^\s*(status|סטטוס|מצב)\s*[?!.]*\s*$/i;
const TAG = 'offline model, not a language model';

/** The text of the last user message, without the untrusted-data envelope the roles add. */
export function lastUserText(request: ModelRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i]!;
    if (m.role === 'user') {
      const inner = /<message[^>]*>\n?([\s\S]*?)\n?<\/message>/.exec(m.content);
      return (inner ? inner[1]! : m.content).trim();
    }
  }
  return '';
}

export function createOfflineModel(options: OfflineModelOptions): Model {
  return {
    id: 'offline',
    isLanguageModel: false,
    async complete(request) {
      const text = lastUserText(request);
      let answer: string;
      if (STATUS.test(text)) {
        answer = `${await options.networkStatus()}\n(${options.agent}, ${TAG})`;
      } else {
        const quoted = text.length > 200 ? `${text.slice(0, 199)}…` : text;
        answer =
          `${options.agent} received: "${quoted}". I am the ${TAG}, so nothing was done about it. ` +
          `Set a model for ${options.agent} in agentnet.yaml (anthropic:<model>, openai:<model> or claude-code) for real answers; "status" works now.`;
      }
      const response: ModelResponse = { text: answer, toolCalls: [], usage: { inputTokens: 0, outputTokens: 0 } };
      return response;
    },
  };
}
