/**
 * rotate-bridge: the bridge's rotation (old done messages to monthly archives), weekly by
 * default; the trace hops as old as the archived messages are forgotten with it.
 */
import { basename } from 'node:path';
import { payloadOf, type TaskKind } from './kind.ts';

export const rotateBridgeTask: TaskKind = {
  name: 'rotate-bridge',
  notify: [],
  async run(ctx) {
    const p = payloadOf(ctx.task);
    const olderThanDays = typeof p.olderThanDays === 'number' && p.olderThanDays > 0 ? p.olderThanDays : ctx.config.bridge.rotate.olderThanDays;
    const r = await ctx.bridge.rotate({ olderThanDays, now: new Date(ctx.clock.now()) });
    const hops = await ctx.store.traces.prune(ctx.clock.now() - olderThanDays * 86_400_000);
    return {
      summary: `rotated the bridge: ${r.archived} done messages older than ${olderThanDays} days archived, ${r.kept} kept${r.quarantined ? `, ${r.quarantined} malformed lines quarantined` : ''}${hops ? `, ${hops} trace hops forgotten` : ''}`,
      ...(r.archives.length ? { detail: `archives: ${r.archives.map((a) => basename(a)).join(', ')}` } : {}),
      result: r,
    };
  },
};
