/** An agent tool: a name, a zod input schema (sent to the model as JSON Schema) and what it does. */
import { z } from 'zod';
import type { BridgeMessage } from '../../bridge/index.ts';
import type { ToolSpec } from '../../models/model.ts';

export interface ToolContext {
  /** The bridge message being handled, for replies. */
  message?: BridgeMessage;
  signal?: AbortSignal;
}

export interface Tool {
  spec: ToolSpec;
  input: z.ZodType;
  run(input: unknown, ctx: ToolContext): Promise<string>;
}

/** A refusal the model should read and adapt to (not a crash). */
export class ToolRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolRefusal';
  }
}

export function defineTool<S extends z.ZodType>(
  name: string,
  description: string,
  input: S,
  run: (input: z.output<S>, ctx: ToolContext) => Promise<string>,
): Tool {
  return {
    spec: { name, description, inputSchema: z.toJSONSchema(input) as Record<string, unknown> },
    input,
    run: (value, ctx) => run(value as z.output<S>, ctx),
  };
}
