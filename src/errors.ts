/** The one error base of agentnet: a stable `code` to branch on and a message a user can act on. */

/** Every error code agentnet raises. Each is documented in docs/errors.md (a test checks). */
export const ERROR_CODES = [
  'CONFIG_NOT_FOUND',
  'CONFIG_PARSE',
  'CONFIG_INVALID',
  'CONFIG_ENV_MISSING',
  'USAGE',
  'FILE_EXISTS',
  'BRIDGE_MESSAGE_INVALID',
  'BRIDGE_MESSAGE_TOO_LARGE',
  'BRIDGE_NOT_FOUND',
  'BRIDGE_WRITE_FAILED',
  'BRIDGE_READ_FAILED',
  'BRIDGE_DISK_FULL',
  'BRIDGE_LOCK_TIMEOUT',
  'BRIDGE_CLOSED',
  'BRIDGE_BACKEND_UNKNOWN',
  'AGENT_UNKNOWN',
  'AGENT_NOT_RUNNING',
  'HEALTH_PORT_IN_USE',
  'MODEL_UNAVAILABLE',
  'BUDGET_EXHAUSTED',
  'STORE_OPEN_FAILED',
  'TASK_NOT_FOUND',
  'TASK_LEASE_LOST',
  'TASK_STATE',
  'MEMORY_CONFLICT',
  'TASK_FAILED',
  'CHANNEL_REQUEST_FAILED',
  'TOOL_REFUSED',
  'DEPLOY_ENV_INVALID',
  'DASHBOARD_PORT_IN_USE',
  'UP_RUNNING',
  'DOWN_TIMEOUT',
  'BRIDGE_WAIT_TIMEOUT',
  'CLAUDE_CODE_NOT_FOUND',
  'CLAUDE_CODE_FAILED',
  'CLAUDE_CODE_TIMEOUT',
  'CLAUDE_CODE_TURN_LIMIT',
  'CLAUDE_CODE_PERMISSION_DENIED',
  'CLAUDE_CODE_NO_ANSWER',
  'APPROVAL_NOT_FOUND',
  'APPROVAL_STATE',
  'APPROVAL_CODES_EXHAUSTED',
  'APPROVAL_KEY_CONFLICT',
  'TRACE_NOT_FOUND',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AgentnetError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentnetError';
    this.code = code;
  }
}

export function isAgentnetError(err: unknown, code?: ErrorCode): err is AgentnetError {
  return err instanceof AgentnetError && (code === undefined || err.code === code);
}

/** The errno code of a Node system error (`ENOENT`, `EEXIST`, ...), if it is one. */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/**
 * What a self-check found (`agentnet doctor` prints them): each backend and adapter checks
 * itself and says, for a problem, what to do about it.
 */
export interface Check {
  /** What was checked, e.g. "channel kami (whatsapp)". */
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for `warn` and `fail`. */
  fix?: string;
}

/** An error's message, whatever was thrown. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
