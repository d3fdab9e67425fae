/** The one small model interface every provider implements (anthropic, openai, claude-code, offline). */

export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string; isError?: boolean };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the input object. */
  inputSchema: Record<string, unknown>;
}

export interface ModelRequest {
  system: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
  signal?: AbortSignal;
  /** The conversation (an owner's chat) this call belongs to, for providers that keep a session per conversation (claude-code). */
  conversation?: string;
  /**
   * What the call serves (the id of a request, a task), for providers whose tools ask the owner
   * themselves: claude-code's MCP server keys the approvals of its calls by it.
   */
  serving?: string;
}

export interface ModelResponse {
  text: string;
  toolCalls: ToolCall[];
  usage: { inputTokens: number; outputTokens: number; /** What the provider says the call cost, when it says (claude-code). */ costUsd?: number };
}

export interface Model {
  /** `offline`, `anthropic:claude-sonnet-4-6`, ... */
  readonly id: string;
  /** False for the offline policy: callers say so to the owner. */
  readonly isLanguageModel: boolean;
  complete(request: ModelRequest): Promise<ModelResponse>;
}
