/** The channel alarm's decisions: one alert per confirmed change, a flapping channel held to one "degraded" alert per gap, a restart that remembers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertText, ChannelAlarm, DEGRADED_ALERT_GAP_MS, type ChannelAlert } from '../../src/relay/channel-alarm.ts';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const DEAF = ['deaf: no long poll to Green API has come back for 40 s (expected within 25 s: the wait plus 5 s)'];
const s = (n: number) => n * 1000;

/** Feeds observations; what the owners would be told, acknowledged as sent. */
function run(alarm: ChannelAlarm, steps: Array<[at: number, problems: string[]]>): Array<ChannelAlert & { at: number }> {
  const told: Array<ChannelAlert & { at: number }> = [];
  for (const [at, problems] of steps) {
    const a = alarm.observe(T0 + at, problems);
    if (a) {
      alarm.told(a, T0 + at);
      told.push({ ...a, at });
    }
  }
  return told;
}

describe('channel alarm', () => {
  it('a degraded channel is alerted once it held for confirmMs, once however long it lasts; its recovery once, with how long it was down', () => {
    const alarm = new ChannelAlarm({ confirmMs: s(10), now: T0 });
    const told = run(alarm, [
      [s(0), []],
      [s(5), DEAF],
      [s(10), DEAF],
      [s(15), DEAF], // held 10 s: alerted
      ...Array.from({ length: 50 }, (_, i): [number, string[]] => [s(20 + 5 * i), DEAF]),
      [s(400), []],
      [s(405), []],
      [s(410), []], // held 10 s: recovery
      [s(415), []],
    ]);
    assert.deepEqual(told.map((t) => [t.at, t.state]), [[s(15), 'degraded'], [s(410), 'ok']]);
    assert.equal(told[1]!.downForMs, s(395));
    assert.match(alertText('kami', 'whatsapp', told[0]!), /^⚠️ kami's WhatsApp channel is degraded: deaf: no long poll .*\. kami will tell you when it works again\.$/);
    assert.equal(alertText('kami', 'whatsapp', told[1]!), "✅ kami's WhatsApp channel works again (degraded for 7 min).");
  });

  it('blips shorter than confirmMs are never alerted', () => {
    const alarm = new ChannelAlarm({ confirmMs: s(10), now: T0 });
    const steps: Array<[number, string[]]> = [];
    for (let i = 0; i < 40; i++) steps.push([s(6 * i), i % 2 ? DEAF : []]);
    assert.deepEqual(run(alarm, steps), []);
  });

  it('a flapping channel: after a degraded alert and its recovery, the next degraded alert waits for the gap and says how often it went down', () => {
    const alarm = new ChannelAlarm({ confirmMs: 0, now: T0 });
    const steps: Array<[number, string[]]> = [];
    // Down a minute, up a minute, for an hour.
    for (let m = 0; m < 60; m++) steps.push([s(60 * m), m % 2 ? [] : DEAF], [s(60 * m + 30), m % 2 ? [] : DEAF]);
    const told = run(alarm, steps);
    const downs = told.filter((t) => t.state === 'degraded');
    assert.ok(downs.length <= Math.ceil(3_600_000 / DEGRADED_ALERT_GAP_MS), `${downs.length} degraded alerts in an hour`);
    for (let i = 1; i < downs.length; i++) assert.ok(downs[i]!.at - downs[i - 1]!.at >= DEGRADED_ALERT_GAP_MS);
    assert.equal(downs[0]!.downs, 1);
    assert.ok(downs[1]!.downs > 1, 'the second alert counts the flaps it stood for');
    assert.match(alertText('kami', 'telegram', downs[1]!), new RegExp(`It went down ${downs[1]!.downs} times since the last alert\\.`));
    // Alerts alternate: never two of the same state in a row.
    told.forEach((t, i) => assert.notEqual(t.state, told[i - 1]?.state));
  });

  it('flapping that ends up as it was when the owners were told says nothing more', () => {
    const alarm = new ChannelAlarm({ confirmMs: 0, now: T0 });
    const told = run(alarm, [
      [s(0), DEAF],
      [s(60), []],
      [s(120), DEAF], // within the gap: held back
      [s(180), []], // as the owners know it: nothing to say
      [s(60 * 20), []],
    ]);
    assert.deepEqual(told.map((t) => t.state), ['degraded', 'ok']);
  });

  it('restored after a restart: still degraded says nothing again; recovered reports the recovery', () => {
    const told = { state: 'degraded' as const, since: T0 - s(600), degradedAlertAt: T0 - s(590) };
    assert.deepEqual(run(new ChannelAlarm({ confirmMs: 0, now: T0, told }), [[0, DEAF], [s(5), DEAF]]), []);
    const back = run(new ChannelAlarm({ confirmMs: 0, now: T0, told }), [[0, []]]);
    assert.deepEqual(back.map((t) => [t.state, t.downForMs]), [['ok', s(600)]]);
  });
});
