/** Rotates a jsonl bridge in its own process (so a test can SIGKILL it). argv: <bridge path> <olderThanDays> */
import { createJsonlBridge } from '../../src/bridge/index.ts';

const [path, days] = process.argv.slice(2);
const bridge = createJsonlBridge({ path: path! });
const result = await bridge.rotate({ olderThanDays: Number(days) });
await bridge.close();
process.stdout.write(JSON.stringify(result) + '\n');
