/**
 * A line nested far too deep (a lockless writer can append one) is read without building what
 * is too deep, keeps the envelope a quarantine notice needs, and is a poison message; every
 * line that is not too deep reads exactly as JSON.parse reads it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutDeeperThan } from '../../src/bridge/deep-json.ts';
import { parseLine, poisonReason, statusRecord, toLine } from '../../src/bridge/index.ts';

const TS = '2026-12-04T10:00:00.000Z';
const nested = (levels: number, leaf = '1') => `${'{"a":'.repeat(levels)}${leaf}${'}'.repeat(levels)}`;
const deepLine = (levels: number) =>
  `{"ts":"${TS}","from":"kami","type":"request","id":"kami-deep","content":"deep","status":"pending","metadata":{"whatsapp_sender":"972500000000@c.us","n":${nested(levels)}}}`;

describe('lines nested too deep', () => {
  it('leaves JSON that is not too deep alone: strings holding brackets, quotes and backslashes do not count', () => {
    const texts = [
      '{"a":"{{{{[[[[","b":"\\"{{{{\\\\","c":[1,{"d":"]]]}}}"}]}',
      JSON.stringify({ s: '\\'.repeat(7) + '"{{{{{{{{', t: '"'.repeat(9), u: [[[[['x']]]]] }),
      JSON.stringify({ content: 'x'.repeat(2 * 1024 * 1024) }),
      nested(10),
      '[]',
      'not json {{{{',
    ];
    for (const text of texts) assert.equal(cutDeeperThan(text, 10), undefined, text.slice(0, 60));
    assert.equal(cutDeeperThan(nested(11), 10), `${'{"a":'.repeat(10)}null${'}'.repeat(10)}`);
  });

  it('cuts only what is deeper than the limit, wherever it is, and what stays parses to the same values', () => {
    const value = { keep: 'a "quoted" {text}', list: [1, [2, [3, [4]]]], deep: { x: { y: { z: 'gone' } } }, after: '\\' };
    const cut = cutDeeperThan(JSON.stringify(value), 3);
    assert.deepEqual(JSON.parse(cut!), { keep: 'a "quoted" {text}', list: [1, [2, null]], deep: { x: { y: null } }, after: '\\' });
  });

  it('a torn or unbalanced line stays unparsable after the cut (it is malformed, never half-read)', () => {
    const torn = deepLine(100_000).slice(0, 300_000);
    const cut = cutDeeperThan(torn, 65);
    assert.notEqual(cut, undefined);
    assert.throws(() => JSON.parse(cut!));
    assert.equal(parseLine(torn).ok, false);
  });

  it('a line 100,000 deep parses to its envelope with the deep part cut and marked: a poison message whose chat is known', () => {
    const parsed = parseLine(deepLine(100_000));
    assert.ok(parsed.ok, 'the envelope is read');
    const m = parsed.message;
    assert.equal(m.id, 'kami-deep');
    assert.equal(m.metadata?.whatsapp_sender, '972500000000@c.us');
    assert.match(String(m.metadata?.quarantined), /nested more than 64 levels deep/);
    let depth = 0;
    for (let v: unknown = m.metadata?.n; v !== null && typeof v === 'object'; v = (v as { a: unknown }).a) depth++;
    assert.ok(depth <= 64, `what was built is at most 64 deep (was ${depth})`);
    assert.match(poisonReason(m) ?? '', /nested more than 64 levels deep/);
    // Its done record can be written (a status change never throws on what a lockless writer appended).
    const done = statusRecord(m, 'done');
    assert.equal(done.status, 'done');
    assert.ok(toLine(done).length < 4096);
    assert.equal(poisonReason(done), undefined, 'the done record is not handled again');
  });

  it('metadata exactly 64 deep is an ordinary message; 65 deep is quarantined', () => {
    // metadata is level 2 of the line; "n" adds one level per "{\"a\":".
    const at = parseLine(deepLine(63));
    assert.ok(at.ok);
    assert.equal(at.message.metadata?.quarantined, undefined);
    assert.equal(poisonReason(at.message), undefined);
    const over = parseLine(deepLine(64));
    assert.ok(over.ok);
    assert.match(poisonReason(over.message) ?? '', /nested more than 64/);
  });

  it('a deep value in a field that must be a string is a malformed line, not a message', () => {
    const line = `{"ts":"${TS}","from":"kami","type":"request","id":"x","content":${nested(1000)},"status":"pending"}`;
    const parsed = parseLine(line);
    assert.equal(parsed.ok, false);
  });
});
