/**
 * The CLI: one file per command (commands.ts lists them, loaded when run), the dispatcher, and
 * roles.ts, where `agentnet run` maps a role name to its factory and plugs it into the agent
 * runtime. The top layer: may import every folder; nothing imports it.
 */
export { EXIT, main } from './main.ts';
export { COMMANDS } from './commands.ts';
export { createRole, MODEL_PROVIDERS, startAgent } from './roles.ts';
export { version } from './version.ts';
