/**
 * A message from the owner that is not a command: the relay's model answers it or escalates it
 * with its `escalate` tool; without a language model (or once escalated) it goes straight to the
 * orchestrator.
 */
import { untrusted } from '../agent/answer.ts';
import { quoted } from '../agent/tools/gated.ts';
import { runToolLoop } from '../agent/tools/tool-loop.ts';
import type { BridgeMessage } from '../bridge/index.ts';
import type { InboundRecord } from '../store/index.ts';
import { enqueue, finish, reply, type RelayContext } from './context.ts';
import { escalate, escalateTool } from './escalation.ts';
import { PHRASES, type Language } from './language.ts';

/** How long the relay's model may take over one message. */
const ANSWER_DEADLINE_MS = 600_000;

export async function converse(relay: RelayContext, rec: InboundRecord, lang: Language): Promise<void> {
  const { role: ctx, orchestrator } = relay;
  if (rec.escalatedAs || !ctx.model.isLanguageModel) {
    if (orchestrator) {
      await escalate(relay, rec, lang, 'normal');
      return finish(relay, rec, 'handled');
    }
  }
  const escalated = { done: false };
  // Slow answers get an acknowledgement first (the same key as an escalation's: never two).
  const ackTimer = setTimeout(() => void enqueue(relay, reply(relay, `ack:${rec.key}`, rec.chatId, PHRASES.ack[lang])).catch((err) => relay.role.logger.warn({ key: rec.key, err }, 'acknowledgement not queued; the answer still follows')), relay.settings.ackAfterMs);
  // A timer cleared when the answer is in: AbortSignal.timeout would keep each message's signal alive for 10 minutes.
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ANSWER_DEADLINE_MS).unref();
  try {
    const signal = AbortSignal.any([relay.stopping, deadline.signal]);
    const result = await runToolLoop({
      model: ctx.model,
      system: ctx.prompt,
      messages: [{ role: 'user', content: untrusted({ id: rec.key, from: 'owner', type: 'request', content: rec.text, ts: new Date(rec.receivedAt).toISOString(), status: 'pending' } as BridgeMessage) }],
      tools: orchestrator ? [escalateTool(relay, rec, lang, escalated), ...ctx.tools] : ctx.tools,
      signal,
      // A granted tool the approve: policy names asks the owner (the answer is taken out of this chat's turn, inbound.ts).
      context: { serving: { id: rec.key, reason: `your message ${quoted(rec.text)}` } },
      onCall: (r) => {
        ctx.stats.modelCalls.ok++;
        ctx.stats.tokens.input += r.usage.inputTokens;
        ctx.stats.tokens.output += r.usage.outputTokens;
      },
      onTool: (t) => ctx.logger.info({ key: rec.key, tool: t.name, ok: t.ok }, 'tool call'),
    });
    clearTimeout(ackTimer);
    if (escalated.done || !result.text.trim()) return finish(relay, rec, 'handled');
    await finish(relay, rec, 'handled', reply(relay, `answer:${rec.key}`, rec.chatId, result.text));
  } finally {
    clearTimeout(ackTimer);
    clearTimeout(deadlineTimer);
  }
}
