/**
 * The relay role (the seed's Kami): owns a chat channel; records each inbound message in the
 * ledger, runs owner commands, acknowledges and escalates over the bridge, watches the other
 * agents, delivers answers and alerts through the outbox; and the direct alerts other agents
 * send through its channel. Imports agent/ and the layers below it; never tasks/ or
 * orchestrator/ (the roles meet on the bridge and the store).
 */
export { createRelayRole } from './role.ts';
export { createAlerter } from './alerts.ts';
export { parseCommand } from './commands.ts';
export type { Command } from './commands.ts';
export { languageOf, PHRASES } from './language.ts';
export type { Language } from './language.ts';
export { startOutbox } from './outbox.ts';
export type { Outbox, OutboxOptions } from './outbox.ts';
export { isOwner, ownerChats } from './owners.ts';
