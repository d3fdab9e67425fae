/**
 * The network of the approvals end-to-end tests: kami relaying on `channel` (a flow map), kaylee
 * with a `production` deployment that needs the owner's yes. The deployment's script appends its
 * task id to runs.txt, so a test counts runs instead of inferring them.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './util.ts';

export async function writeApprovalsNetwork(dir: string, channel: string, ttl: string): Promise<Record<string, number>> {
  const ports = { kami: await freePort(), kaylee: await freePort() };
  writeFileSync(join(dir, 'deploy.sh'), '#!/bin/sh\necho "$AGENTNET_TASK_ID" >> runs.txt\necho "deployed $AGENTNET_DEPLOYMENT"\n');
  chmodSync(join(dir, 'deploy.sh'), 0o755);
  writeFileSync(
    join(dir, 'agentnet.yaml'),
    `network: test
bridge: { pollIntervalMs: 100 }
agents:
  kami:
    role: relay
    health: { port: ${ports.kami} }
    channel: ${channel}
  kaylee:
    role: autonomous
    health: { port: ${ports.kaylee} }
    worker: { pollMs: 100 }
    approve: { deploy: [production], ttl: ${ttl} }
    deployments:
      production: { command: [./deploy.sh], cwd: . }
`,
  );
  return ports;
}
