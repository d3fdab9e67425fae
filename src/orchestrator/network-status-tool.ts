/** network_status, an MCP tool: every agent's health, pending messages, pause and the task queue. */
import { z } from 'zod';
import { networkTool, said } from '../agent/tools/index.ts';
import type { Bridge } from '../bridge/index.ts';
import type { Config } from '../config/index.ts';
import { collectStatus } from '../agent/network-status.ts';
import { TASK_STATES, type Memory, type TaskQueue } from '../store/index.ts';

export interface NetworkStatusContext {
  config: Config;
  bridge: Bridge;
  memory: Memory;
  queue: TaskQueue;
}

export const networkStatus = networkTool({
  name: 'network_status',
  title: 'Network status',
  describe: () => "Every agent's health (ok / paused / degraded / down), pending bridge messages per agent, whether the network is paused, and the task queue's counts.",
  input: z.object({}),
  readOnly: true,
  async run(_input, ctx: NetworkStatusContext) {
    const [status, queue] = await Promise.all([collectStatus(ctx.config, ctx.bridge, { memory: ctx.memory }), ctx.queue.stats()]);
    const lines = status.agents.map((a) => `${a.agent} (${a.role}): ${a.state}${a.error ? ` (${a.error})` : ''}, ${a.pending} pending`);
    return said(
      `network ${status.network}: ${status.pause.paused ? 'PAUSED' : 'running'}, ${status.pending} pending bridge messages\n${lines.join('\n')}\ntasks: ${TASK_STATES.map((s) => `${queue[s]} ${s}`).join(', ')}`,
      { ...status, queue } as unknown as Record<string, unknown>,
    );
  },
});
