/** Where agentnet's own command is: what a child process, a systemd unit or Claude Code's settings run. */
import { fileURLToPath } from 'node:url';

export const AGENTNET_BIN = fileURLToPath(new URL('../../bin/agentnet.js', import.meta.url));
