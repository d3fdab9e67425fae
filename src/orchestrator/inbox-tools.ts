/**
 * The MCP surface's own tools for an orchestrator session: bridge_inbox, bridge_claim and
 * bridge_reply (answer a request by id, under a claim). A model run by an agent gets none of
 * them: its runtime hands it the request and sends its final answer.
 */
import { z } from 'zod';
import { networkTool, said } from '../agent/tools/index.ts';
import type { Tracer } from '../agent/tracer.ts';
import { replyFields, traceOf, type Bridge, type BridgeMessage } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import { AgentnetError } from '../errors.ts';
import type { Memory } from '../store/index.ts';
import { claimOf, claimRequest, DEFAULT_LEASE_MS, releaseClaim } from './claims.ts';
import { describeRequest, pendingRequests } from './inbox.ts';

/** What the inbox tools need: the orchestrator agent the session speaks for, and who holds its claims. */
export interface InboxToolContext {
  self: string;
  /** Who holds claims taken through this server, e.g. mcp:host:pid. */
  holder: string;
  config: Config;
  bridge: Bridge;
  memory: Memory;
  /** Records a claim as the request's `claimed` hop. */
  tracer?: Tracer;
}

/** A pending request by id, or an error saying why it needs no answer from anyone. */
async function requestOrThrow(bridge: Bridge, id: string): Promise<BridgeMessage> {
  const m = await bridge.get(id);
  if (!m) throw new AgentnetError('BRIDGE_NOT_FOUND', `no bridge message "${id}"; bridge_inbox lists the pending requests`);
  if (m.type !== 'request') throw new AgentnetError('USAGE', `${id} is a ${m.type}, not a request: only requests are answered`);
  if (m.status !== 'pending') throw new AgentnetError('USAGE', `${id} is already ${m.status}: someone answered it; nothing to do`);
  const answer = await bridge.answerOf(id);
  if (answer) throw new AgentnetError('USAGE', `${id} is already answered by ${answer.from} (response ${answer.id}); nothing to do`);
  return m;
}

const plural = (n: number) => `${n} pending request${n === 1 ? '' : 's'}`;

export const bridgeInbox = networkTool({
  name: 'bridge_inbox',
  title: 'Pending requests',
  describe: (ctx: InboxToolContext) =>
    `The pending requests addressed to ${ctx.self}: high priority first, then oldest first, each with its id, sender, the owner's chat (for relayed messages), priority, context and whether another session has claimed it.`,
  input: z.object({ limit: z.number().int().min(1).max(100).default(20).describe('how many at most') }),
  readOnly: true,
  async run({ limit }, ctx: InboxToolContext) {
    const all = await pendingRequests(ctx.bridge, ctx.config, ctx.self);
    const shown = all.slice(0, limit);
    if (shown.length === 0) return said(`no pending requests for ${ctx.self}`, { total: 0, requests: [] });
    const claims = await Promise.all(shown.map((m) => claimOf(ctx.memory, m.id)));
    const items = shown.map((message, i) => ({ message, claim: claims[i] }));
    const by = (holder: string) => (holder === ctx.holder ? 'you' : holder);
    const body = items.map(({ message, claim }) => describeRequest(message) + (claim ? `\nclaimed: by ${by(claim.holder)} until ${claim.until}` : '')).join('\n\n');
    const showing = all.length > shown.length ? ` (showing ${shown.length})` : '';
    return said(`${plural(all.length)} for ${ctx.self}${showing}:\n\n${body}`, {
      note: `${plural(all.length)} for ${ctx.self}, most urgent first${showing}. Claim one with bridge_claim (not one claimed by another holder), do the work, then answer it with bridge_reply; the answer reaches whoever asked.`,
      total: all.length,
      requests: items.map(({ message, claim }) => ({ ...message, ...(claim ? { claim: { ...claim, by: by(claim.holder) } } : {}) })),
    });
  },
});

export const bridgeClaim = networkTool({
  name: 'bridge_claim',
  title: 'Claim a request',
  describe: () => 'Claims a pending request so that no other session (nor the headless runner) answers it, for lease_minutes; claiming again renews the lease. Fails, saying who has it, when another holder has it.',
  input: z.object({ id: z.string().min(1).describe('the request id, from bridge_inbox'), lease_minutes: z.number().min(1).max(240).default(DEFAULT_LEASE_MS / 60_000) }),
  async run({ id, lease_minutes }, ctx: InboxToolContext) {
    const m = await requestOrThrow(ctx.bridge, id);
    const r = await claimRequest(ctx.memory, id, ctx.holder, lease_minutes * 60_000);
    if (!r.ok) throw new AgentnetError('USAGE', `${id} is claimed by ${r.claim.holder} until ${r.claim.until}; leave it to them, or take another request`);
    ctx.tracer?.hop(traceOf(m), 'claimed', id, { holder: ctx.holder });
    return said(`claimed ${id} until ${r.claim.until}. Answer it with bridge_reply.\n\n${describeRequest(m)}`, { claim: r.claim, request: m });
  },
});

export const bridgeAnswer = networkTool({
  name: 'bridge_reply',
  title: 'Answer a request',
  describe: () => 'Answers a pending request: appends a response (delivered to whoever asked; for a relayed request, to the owner\'s chat) and marks the request done. Claims it first if you had not; fails if another holder has it.',
  input: z.object({ id: z.string().min(1).describe('the request id'), content: z.string().min(1).max(100_000).describe('the answer, as the asker should read it') }),
  async run({ id, content }, ctx: InboxToolContext) {
    const m = await requestOrThrow(ctx.bridge, id);
    const r = await claimRequest(ctx.memory, id, ctx.holder, DEFAULT_LEASE_MS);
    if (!r.ok) throw new AgentnetError('USAGE', `${id} is claimed by ${r.claim.holder} until ${r.claim.until}: they answer it, not you`);
    // The bridge's one gate for answers: if anyone answered meanwhile, this adds nothing.
    const outcome = await ctx.bridge.answer(id, { from: ctx.self, content, ...replyFields(m) });
    await releaseClaim(ctx.memory, id, ctx.holder);
    if (!outcome.answered) {
      const by = outcome.reason === 'already-answered' ? `${outcome.response.from} answered it (response ${outcome.response.id})` : 'it was marked done';
      throw new AgentnetError('USAGE', `${id} is already done: ${by}; yours was not sent. Nothing to do; take another request`);
    }
    const response = outcome.response;
    return said(`answered ${id} with response ${response.id}${response.to ? ` (to ${response.to})` : ''}; the request is done`, { response });
  },
});
