/**
 * Preloaded with `node --import` by tests that check what a process loads: appends the URL of
 * every module it loads to $AGENTNET_TEST_LOADS, one per line.
 */
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.AGENTNET_TEST_LOADS;
if (file) {
  registerHooks({
    load(url, context, next) {
      appendFileSync(file, `${url}\n`);
      return next(url, context);
    },
  });
}
