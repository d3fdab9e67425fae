/** An agent tool: a name, a zod input schema (sent to the model as JSON Schema) and what it does. */
import { z } from 'zod';
import type { BridgeMessage } from '../../bridge/index.ts';
import { AgentnetError } from '../../errors.ts';
import type { ToolSpec } from '../../models/model.ts';

/**
 * What a call serves (a request, a task, an owner's message, an MCP session): an approval the call
 * needs is keyed by `id` (the same call made again finds the same one) and `reason` tells the owner why.
 */
export interface Serving {
  id: string;
  reason: string;
}

export interface ToolContext {
  /** The bridge message being handled, for replies. */
  message?: BridgeMessage;
  signal?: AbortSignal;
  serving?: Serving;
}

export interface Tool {
  spec: ToolSpec;
  input: z.ZodType;
  run(input: unknown, ctx: ToolContext): Promise<string>;
  /** Why this input would be refused, checked before the owner is asked (nothing is asked about a call that cannot run). */
  refusal?(input: unknown): string | undefined;
  /** Only reads: an `approve.tools` of `"*"` does not gate it (naming it does). */
  readOnly?: boolean;
}

/** A refusal the model should read and adapt to (not a crash). */
export class ToolRefusal extends AgentnetError {
  constructor(message: string) {
    super('TOOL_REFUSED', message);
    this.name = 'ToolRefusal';
  }
}

/**
 * The JSON Schema of a tool's input as the MCP SDK sends it (`tools/list` converts zod v4 with
 * draft-7 and the input side: a field with a default is not required). The model surface sends
 * the same, so a model sees one schema per tool whichever surface it uses.
 */
export const inputJsonSchema = (input: z.ZodType): Record<string, unknown> => z.toJSONSchema(input, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;

export function defineTool<S extends z.ZodType>(
  name: string,
  description: string,
  input: S,
  run: (input: z.output<S>, ctx: ToolContext) => Promise<string>,
  refusal?: (input: z.output<S>) => string | undefined,
): Tool {
  return {
    spec: { name, description, inputSchema: inputJsonSchema(input) },
    input,
    run: (value, ctx) => run(value as z.output<S>, ctx),
    ...(refusal ? { refusal: (value: unknown) => refusal(value as z.output<S>) } : {}),
  };
}
