/**
 * The bridge (protocol v1): BridgeMessage and the Bridge contract, the jsonl backend (writer,
 * lock, index, subscription, rotation) and the postgres one, opened through openBridge. Imports
 * only pg/ and the base (errors.ts, log/); never store/ (both build on pg/ instead).
 */
export type { AnswerOutcome, Bridge, Cursor, ListOptions, MessageHandler, RotateOptions, RotateResult, SubscribeOptions, Subscription } from './bridge.ts';
export type { BridgeMessage, MessageStatus, MessageType, NewMessage, Priority } from './message.ts';
export { chatOf, type ChatAddress } from './chat.ts';
export { isTraceId, newTraceId, traceIdFrom, traceOf } from './trace.ts';
export { bridgeMessageSchema, buildMessage, isAgentName, poisonReason, replyFields, statusRecord, MAX_LINE_BYTES, MESSAGE_STATUSES, MESSAGE_TYPES, newMessageId, parseLine, PRIORITIES, toLine, withStatus } from './message.ts';
export type { MessageFilter } from './filter.ts';
export { matchesFilter } from './filter.ts';
export { createJsonlBridge } from './jsonl.ts';
export type { JsonlBridgeOptions } from './jsonl.ts';
// createPgBridge is not re-exported: importing it loads pg; openBridge({ backend: 'postgres' }) loads it when used.
export type { PgBridgeOptions } from './pg.ts';
export { acquireFileLock, inspectFileLock, tryAcquireFileLock } from './lock.ts';
export type { FileLock, FileLockOptions } from './lock.ts';
export { BRIDGE_BACKENDS, checkBridge, openBridge } from './registry.ts';
export type { BridgeOpenExtras, BridgeSpec } from './registry.ts';
