/**
 * Owner commands, run before any model: status, pause, resume, and shutdown all (asked, then
 * confirmed within two minutes, or cancelled). `commands.ts` recognises them; this runs them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { healthUrl, probe } from '../agent/health-probe.ts';
import { collectStatus, formatStatusShort } from '../agent/network-status.ts';
import { pauseEverywhere, readNetworkPause, resumeEverywhere } from '../agent/pause.ts';
import type { InboundRecord } from '../store/index.ts';
import { parseCommand } from './commands.ts';
import { finish, reply, type RelayContext } from './context.ts';
import { PHRASES, type Language } from './language.ts';

/** A shutdown asked for but not confirmed yet, by chat. */
const CONFIRM_WINDOW_MS = 120_000;

/** Runs an owner command; false when the text is not one (in this state). */
export type OwnerCommands = (rec: InboundRecord, lang: Language) => Promise<boolean>;

export function createOwnerCommands(relay: RelayContext): OwnerCommands {
  const { role: ctx, name } = relay;
  const confirmations = new Map<string, number>();
  return async (rec, lang) => {
    const cmd = parseCommand(rec.text);
    if (!cmd) return false;
    const respond = (text: string) => finish(relay, rec, 'handled', reply(relay, `cmd:${rec.key}`, rec.chatId, text));
    const asked = confirmations.get(rec.chatId);
    const confirming = asked !== undefined && Date.now() - asked < CONFIRM_WINDOW_MS;
    if ((cmd === 'confirm' || cmd === 'cancel') && !confirming) return false; // a plain "yes"/"no": conversation
    ctx.logger.info({ key: rec.key, command: cmd }, 'owner command');
    switch (cmd) {
      case 'status':
        await respond(await statusText(relay, lang));
        return true;
      case 'pause':
        if ((await readNetworkPause(ctx.config, ctx.store?.memory)).paused) await respond(PHRASES.alreadyPaused[lang]);
        else {
          await pauseEverywhere(ctx.config, ctx.store?.memory, { reason: `owner, through ${name}`, by: name });
          await respond(PHRASES.paused[lang]);
        }
        return true;
      case 'resume':
        await respond((await resumeEverywhere(ctx.config, ctx.store?.memory, name)) ? PHRASES.resumed[lang] : PHRASES.notPaused[lang]);
        return true;
      case 'shutdown':
        confirmations.set(rec.chatId, Date.now());
        await respond(PHRASES.confirmShutdown[lang](Object.keys(ctx.config.agents).join(', ')));
        return true;
      case 'cancel':
        confirmations.delete(rec.chatId);
        await respond(PHRASES.cancelled[lang]);
        return true;
      case 'confirm':
        confirmations.delete(rec.chatId);
        await shutdownAll(relay, rec, lang);
        return true;
    }
  };
}

/** The network's status in the chat's short form, with the task queue's figures. */
async function statusText(relay: RelayContext, lang: Language): Promise<string> {
  const { role: ctx, store } = relay;
  const s = await collectStatus(ctx.config, ctx.bridge, { memory: store.memory });
  return `${formatStatusShort(s, lang)}\n${PHRASES.tasks[lang](await store.queue.stats())}`;
}

/** Asks every other agent to stop, reports which did (within 20 s), then stops the relay too. */
async function shutdownAll(relay: RelayContext, rec: InboundRecord, lang: Language): Promise<void> {
  const { role: ctx, name } = relay;
  const others = Object.values(ctx.config.agents).filter((a) => a.name !== name);
  // Through the bridge, so agents on other hosts get it too; each runtime stops and exits 0.
  for (const a of others) {
    await ctx.bridge.append({ from: name, to: a.name, type: 'notification', content: `shutdown all, asked by the owner through ${name}`, metadata: { control: 'shutdown', inbound: rec.key } });
  }
  ctx.logger.warn({ agents: others.map((a) => a.name) }, 'shutdown all: asked every agent to stop');
  const deadline = Date.now() + 20_000;
  let answering = others;
  while (answering.length > 0 && Date.now() < deadline) {
    await sleep(500);
    const still = await Promise.all(answering.map(async (a) => ((await probe(healthUrl(a.health.host, a.health.port), 1000)).health ? a : undefined)));
    answering = still.filter((a) => a !== undefined);
  }
  const stopped = others.filter((a) => !answering.includes(a)).map((a) => a.name).join(', ');
  await finish(relay, rec, 'handled', reply(relay, `cmd:${rec.key}`, rec.chatId, PHRASES.shutdownReport[lang](stopped, answering.map((a) => a.name).join(', '))));
  await relay.outbox?.drained(10_000);
  ctx.requestShutdown?.('shutdown all');
}
