/** Owner commands and the owner's language: what the relay recognises before any model runs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand } from '../../src/relay/commands.ts';
import { languageOf } from '../../src/relay/language.ts';

describe('owner commands', () => {
  it('recognises the English and Hebrew forms, whatever the case, spacing, slash or final punctuation', () => {
    const cases: Array<[string, string]> = [
      ['status', 'status'], ['  Status? ', 'status'], ['/status', 'status'], ['סטטוס', 'status'], ['מצב', 'status'],
      ['pause', 'pause'], ['עצור', 'pause'], ['השהה!', 'pause'],
      ['resume', 'resume'], ['המשך', 'resume'],
      ['shutdown all', 'shutdown'], ['Shutdown   ALL.', 'shutdown'], ['כבה הכל', 'shutdown'], ['כבה את הכל', 'shutdown'],
      ['yes', 'confirm'], ['כן', 'confirm'], ['no', 'cancel'], ['בטל', 'cancel'],
    ];
    for (const [text, want] of cases) assert.equal(parseCommand(text), want, text);
  });

  it('leaves a sentence that merely mentions a command to the conversation', () => {
    for (const text of ['what does status mean?', 'please pause the deploy of api', 'shutdown all the test servers now', 'yes, deploy it', 'status of the build']) {
      assert.equal(parseCommand(text), undefined, text);
    }
  });

  it('answers in Hebrew unless the owner writes English; no letters keep the default', () => {
    assert.equal(languageOf('תבדוק את השרת', 'en'), 'he');
    assert.equal(languageOf('check the server', 'he'), 'en');
    assert.equal(languageOf('תבדוק את ה-API של prod', 'en'), 'he');
    assert.equal(languageOf('👍 42', 'he'), 'he');
    assert.equal(languageOf('👍 42', 'en'), 'en');
  });
});
