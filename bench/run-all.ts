/** `npm run bench`: every benchmark with its defaults, one after another. */
import { appendThroughput } from './append-throughput.ts';
import { deliveryLatency } from './delivery-latency.ts';
import { pgDeliveryLatency } from './pg-delivery-latency.ts';
import { scanCost } from './scan-cost.ts';
import { agentStartup } from './agent-startup.ts';
import { queueThroughput } from './queue-throughput.ts';
import { relayLatency } from './relay-latency.ts';
import { sessionStart } from './session-start.ts';
import { traceHops } from './trace-hops.ts';

console.log(`agentnet benchmarks on Node ${process.version}, ${new Date().toISOString()}`);
await deliveryLatency();
await pgDeliveryLatency();
await scanCost();
await appendThroughput();
await agentStartup();
await queueThroughput();
await relayLatency();
await traceHops();
await sessionStart();
