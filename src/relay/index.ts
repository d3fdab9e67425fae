/**
 * The relay role (the seed's Kami): owns a chat channel. role.ts wires the parts: inbound.ts
 * (records each inbound message in the ledger, the allow-list, per-chat order),
 * owner-commands.ts, conversation.ts, escalation.ts (to the orchestrator over the bridge, and
 * the answer back), watch.ts (the other agents' health), health.ts with channel-alarm.ts and
 * canary.ts (the channel's own health, and the owners told of it), outbox.ts (every reply
 * leaves through it), over context.ts; and alerts.ts, the direct alerts other agents send
 * through its channel. Imports agent/ and the layers below it; never tasks/ or
 * orchestrator/ (the roles meet on the bridge and the store).
 */
export { createRelayRole } from './role.ts';
export { createAlerter } from './alerts.ts';
export { parseCommand } from './commands.ts';
export { parseApprovalAnswer } from './approval-answer.ts';
export type { ApprovalAnswer } from './approval-answer.ts';
export type { Command } from './commands.ts';
export { languageOf, PHRASES } from './language.ts';
export type { Language } from './language.ts';
export { startOutbox } from './outbox.ts';
export type { Outbox, OutboxOptions } from './outbox.ts';
export { isOwner, ownerChats } from './owners.ts';
