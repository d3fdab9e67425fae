/**
 * The owners hear once when the relay's own channel becomes degraded (deaf, the account not
 * authorized, the webhook failing) and once when it works again. A state counts once it has held
 * for `relay.confirmMs`, so a blip is no alert; a new "degraded" alert comes at most once per
 * DEGRADED_ALERT_GAP_MS however often the channel flaps, and says how often it went down
 * meanwhile. The alert goes to the owners through the relay's outbox and, where the network has
 * another relay, to that relay's owners over the bridge (a second channel, for when this one
 * cannot send). What the owners were told last is kept in memory (`channel/<relay>`), so a
 * restart neither repeats an alert nor forgets to report the recovery.
 */
import { traceIdFrom } from '../bridge/index.ts';
import { spellDuration, type Channel } from '../channels/index.ts';
import { enqueue, reply, type RelayContext } from './context.ts';
import { ownerChats } from './owners.ts';

/** At most one "degraded" alert per this span, however often the channel flaps. */
export const DEGRADED_ALERT_GAP_MS = 15 * 60_000;

export const CHANNEL_NAMESPACE = 'channel';

type State = 'ok' | 'degraded';

/** What the owners were told last. */
export interface Told {
  state: State;
  /** When that state began (ms since the epoch). */
  since: number;
  /** When the last "degraded" alert went out. */
  degradedAlertAt?: number;
}

export interface ChannelAlert {
  state: State;
  problems: string[];
  /** When this state began. */
  since: number;
  /** Degraded episodes begun since the previous alert. */
  downs: number;
  /** A recovery: how long the channel was degraded. */
  downForMs?: number;
}

/** The decisions, on a clock the caller passes in: no I/O, no timers. */
export class ChannelAlarm {
  readonly #confirmMs: number;
  readonly #gapMs: number;
  #told: Told;
  #current: State | undefined;
  #since = 0;
  #downs = 0;

  constructor(o: { confirmMs: number; gapMs?: number; told?: Told; now: number }) {
    this.#confirmMs = o.confirmMs;
    this.#gapMs = o.gapMs ?? DEGRADED_ALERT_GAP_MS;
    this.#told = o.told ?? { state: 'ok', since: o.now };
  }

  /** The channel's problems now; an alert when the owners should hear of a change. */
  observe(now: number, problems: string[]): ChannelAlert | undefined {
    const state: State = problems.length ? 'degraded' : 'ok';
    if (state !== this.#current) {
      this.#current = state;
      this.#since = now;
      if (state === 'degraded') this.#downs++;
    }
    if (state === this.#told.state || now - this.#since < this.#confirmMs) return undefined;
    const last = this.#told.degradedAlertAt;
    if (state === 'degraded' && last !== undefined && now - last < this.#gapMs) return undefined;
    return { state, problems, since: this.#since, downs: this.#downs, ...(state === 'ok' ? { downForMs: this.#since - this.#told.since } : {}) };
  }

  /** The alert went out: returns what the owners now know, to keep. */
  told(alert: ChannelAlert, now: number): Told {
    const degradedAlertAt = alert.state === 'degraded' ? now : this.#told.degradedAlertAt;
    this.#told = { state: alert.state, since: alert.since, ...(degradedAlertAt !== undefined ? { degradedAlertAt } : {}) };
    this.#downs = 0;
    return this.#told;
  }
}

const NAMES: Record<Channel['type'], string> = { whatsapp: 'WhatsApp', telegram: 'Telegram', terminal: 'terminal' };

/** What the owners read. */
export function alertText(relay: string, type: Channel['type'], a: ChannelAlert): string {
  const channel = `${relay}'s ${NAMES[type]} channel`;
  if (a.state === 'ok') return `✅ ${channel} works again (degraded for ${spellDuration(a.downForMs ?? 0)}).`;
  const flaps = a.downs > 1 ? ` It went down ${a.downs} times since the last alert.` : '';
  return `⚠️ ${channel} is degraded: ${a.problems.join('; ')}.${flaps} ${relay} will tell you when it works again.`;
}

export interface ChannelAlarmRunner {
  /** Looks at the channel's problems now; alerts when the owners should hear (awaits the alert). */
  check(problems: string[]): Promise<void>;
}

/** The relay's alarm: restores what the owners were told, then alerts on each confirmed change. */
export async function startChannelAlarm(relay: RelayContext, type: Channel['type']): Promise<ChannelAlarmRunner> {
  const { role: ctx, name, clock, settings } = relay;
  const memory = relay.store.memory;
  const kept = await memory.get(CHANNEL_NAMESPACE, name).catch((err: unknown) => void ctx.logger.warn({ err }, 'what the owners were told about the channel is not readable; starting afresh'));
  const alarm = new ChannelAlarm({ confirmMs: settings.confirmMs, now: clock.now(), ...(isTold(kept?.value) ? { told: kept.value } : {}) });
  return {
    async check(problems) {
      const now = clock.now();
      const alert = alarm.observe(now, problems);
      if (!alert) return;
      await sendChannelAlert(relay, type, alert);
      const told = alarm.told(alert, now);
      await memory.set(CHANNEL_NAMESPACE, name, told, { by: name });
      ctx.logger[alert.state === 'ok' ? 'info' : 'warn']({ problems: alert.problems }, alert.state === 'ok' ? 'channel recovered; owners told' : 'channel degraded; owners told');
    },
  };
}

/**
 * To the owners through the outbox (one key per change, so a retry never sends twice), a record on
 * the bridge, and each other relay: all in one trace, derived from the change (a retry keeps it).
 */
async function sendChannelAlert(relay: RelayContext, type: Channel['type'], alert: ChannelAlert): Promise<void> {
  const { role: ctx, name } = relay;
  const change = `channel-alert:${alert.state}:${new Date(alert.since).toISOString()}`;
  const send = () => sendChannelAlertNow(relay, type, alert, change);
  await (ctx.tracer ? ctx.tracer.run(traceIdFrom(`${change}:${name}`), change, send) : send());
}

async function sendChannelAlertNow(relay: RelayContext, type: Channel['type'], alert: ChannelAlert, change: string): Promise<void> {
  const { role: ctx, name, channelConfig } = relay;
  const text = alertText(name, type, alert);
  await enqueue(relay, ownerChats(channelConfig).flatMap((chat) => reply(relay, `${change}:${chat}`, chat, text)));
  const metadata = { alert: true, agent: name, channel: type, state: `channel-${alert.state}` };
  await ctx.bridge.append({ from: name, to: name, type: 'notification', status: 'done', content: text, metadata: { ...metadata, delivered: type } });
  const others = Object.values(ctx.config.agents).filter((a) => a.role === 'relay' && a.name !== name);
  for (const other of others) await ctx.bridge.append({ from: name, to: other.name, type: 'notification', content: text, metadata });
}

function isTold(v: unknown): v is Told {
  const t = v as Partial<Told> | undefined;
  return (t?.state === 'ok' || t?.state === 'degraded') && typeof t.since === 'number' && (t.degradedAlertAt === undefined || typeof t.degradedAlertAt === 'number');
}
