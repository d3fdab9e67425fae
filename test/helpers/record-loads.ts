/**
 * Preloaded with `node --import` by tests that check what a process loads: appends the URL of
 * every module it loads to $AGENTNET_TEST_LOADS, one per line, and a line `listen <port>` when
 * the process starts listening on a port (what it loads after that, it compiles while /health
 * may already be waiting for an answer), followed by `http client compiled: yes|no` (whether
 * Node's fetch, undici, was loaded by then: it is not a module the hook above sees).
 */
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { Server } from 'node:net';

const file = process.env.AGENTNET_TEST_LOADS;
if (file) {
  registerHooks({
    load(url, context, next) {
      appendFileSync(file, `${url}\n`);
      return next(url, context);
    },
  });
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const undici = (process as unknown as { moduleLoadList: string[] }).moduleLoadList.some((m) => m.endsWith('internal/deps/undici/undici'));
    appendFileSync(file, `listen ${String(args[0])}\nhttp client compiled: ${undici ? 'yes' : 'no'}\n`);
    return listen.apply(this, args as Parameters<Server['listen']>);
  } as Server['listen'];
}
