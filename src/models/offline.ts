/**
 * The offline model: what an agent uses when no model is configured, so a new user sees the
 * whole network work before adding an API key. It is a fixed, documented policy, not a
 * language model, and says so in every answer:
 *
 * 1. A message that is just "status" (or "סטטוס" / "מצב") is answered with the real network
 *    state: each agent's health, pending bridge messages, paused or not.
 * 2. On an agent that is not the orchestrator and may use `bridge_send`, anything else is
 *    escalated to the orchestrator (a real tool call), then acknowledged: "Got it, passed to
 *    claude; the answer will follow."
 * 3. Otherwise the message is acknowledged, quoted back, and marked as not acted on, with what
 *    to configure for real answers.
 */
import type { Model, ModelRequest, ModelResponse } from './model.ts';

export interface OfflineModelOptions {
  agent: string;
  /** The orchestrator to escalate work to, if the network has one other than this agent. */
  orchestrator?: string;
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

const reply = (text: string, toolCalls: ModelResponse['toolCalls'] = []): ModelResponse => ({ text, toolCalls, usage: { inputTokens: 0, outputTokens: 0 } });

export function createOfflineModel(options: OfflineModelOptions): Model {
  return {
    id: 'offline',
    isLanguageModel: false,
    async complete(request) {
      const last = request.messages[request.messages.length - 1];
      if (last?.role === 'tool') {
        // Step two of an escalation: report what the tool did.
        return reply(
          last.isError
            ? `I could not pass this on: ${last.content} (${options.agent}, ${TAG})`
            : `Got it, passed to ${options.orchestrator}; the answer will follow. (${options.agent}, ${TAG})`,
        );
      }
      const text = lastUserText(request);
      if (STATUS.test(text)) return reply(`${await options.networkStatus()}\n(${options.agent}, ${TAG})`);
      const canEscalate = options.orchestrator !== undefined && request.tools?.some((t) => t.name === 'bridge_send');
      if (canEscalate) {
        return reply('', [{ id: `offline-${Date.now()}`, name: 'bridge_send', input: { to: options.orchestrator, type: 'request', content: text } }]);
      }
      const quoted = text.length > 200 ? `${text.slice(0, 199)}…` : text;
      return reply(
        `${options.agent} received: "${quoted}". I am the ${TAG}, so nothing was done about it. ` +
          `Set a model for ${options.agent} in agentnet.yaml (anthropic:<model> or openai:<model>; an orchestrator may also use claude-code, your Claude Code run headless) for real answers; "status" works now.`,
      );
    },
  };
}
