/** chatOf: the one rule for the chat a message belongs to (the chat a relay delivers its answer to). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatOf } from '../../src/bridge/index.ts';

describe('chatOf', () => {
  it("reads the seed's whatsapp_sender as a WhatsApp chat", () => {
    assert.deepEqual(chatOf({ metadata: { whatsapp_sender: '972500000000@c.us', priority: 'high' } }), { chat: '972500000000@c.us', channel: 'whatsapp' });
  });

  it('reads channel + chat, and chat alone (any channel)', () => {
    assert.deepEqual(chatOf({ metadata: { channel: 'telegram', chat: '123456' } }), { chat: '123456', channel: 'telegram' });
    assert.deepEqual(chatOf({ metadata: { chat: 'terminal' } }), { chat: 'terminal' });
  });

  it("prefers channel + chat when whatsapp_sender is there too (a relay on WhatsApp writes both, the same chat)", () => {
    assert.deepEqual(chatOf({ metadata: { whatsapp_sender: '972500000000@c.us', channel: 'whatsapp', chat: '972500000000@c.us' } }), { chat: '972500000000@c.us', channel: 'whatsapp' });
    assert.deepEqual(chatOf({ metadata: { whatsapp_sender: '972500000000@c.us', channel: 'telegram', chat: '123456' } }), { chat: '123456', channel: 'telegram' });
  });

  it('is undefined when the message names no chat', () => {
    assert.equal(chatOf(undefined), undefined);
    assert.equal(chatOf({}), undefined);
    assert.equal(chatOf({ metadata: {} }), undefined);
    assert.equal(chatOf({ metadata: { priority: 'low', channel: 'whatsapp' } }), undefined);
  });

  it('ignores fields of the wrong type', () => {
    assert.equal(chatOf({ metadata: { whatsapp_sender: 972500000000, chat: { id: 1 } } }), undefined);
    assert.deepEqual(chatOf({ metadata: { chat: 42, whatsapp_sender: '972500000000@c.us' } }), { chat: '972500000000@c.us', channel: 'whatsapp' });
    assert.deepEqual(chatOf({ metadata: { chat: '123456', channel: 7 } }), { chat: '123456' }, 'a channel that is not a string is not a channel');
  });
});
