/** The process entry: wires the CLI to the real stdin/stdout, signals and exit code. */
import { text } from 'node:stream/consumers';
import { main } from './main.ts';

const controller = new AbortController();
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // The first signal asks the command to stop cleanly; a second one ends the process.
    if (++signals > 1) process.exit(130);
    controller.abort();
  });
}
// Started by `agentnet up` with an IPC channel: if `up` dies, the channel closes; stop then.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => controller.abort());
}
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0); // `agentnet bridge ls | head`
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  stdin: () => text(process.stdin),
});
