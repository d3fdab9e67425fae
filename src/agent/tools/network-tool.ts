/**
 * A network tool is defined once: a name, a zod input schema, a description and a handler over a
 * small context (the bridge, the memory, the queue it acts on). Two thin adapters serve it: to an
 * agent's model (`asModelTool`, run by the tool loop) and to the MCP server
 * (`src/orchestrator/mcp-server.ts`, through the SDK's registerTool). Both surfaces send the same
 * JSON Schema, validate with the same zod schema and say the same words.
 */
import { z } from 'zod';
import { defineTool, ToolRefusal, type Tool } from './tool.ts';

/** What a tool did: words for whoever reads text, and data (MCP's structuredContent) when it has any. */
export interface ToolResult {
  text: string;
  data?: Record<string, unknown>;
  /** It did not do what was asked (a gated call not run): an MCP tool error, a refusal on the model surface. */
  isError?: boolean;
}

/** What one call brings besides its input. */
export interface ToolCall {
  /** Ends a waiting tool: the MCP request cancelled, the connection closed, the agent stopping. */
  signal?: AbortSignal;
  /** Tells a client that asked for progress that a long call is alive (MCP progress notifications). */
  progress?: (done: number, total: number | undefined, message: string) => Promise<void>;
}

/** One tool. `C` is the context its handler needs, `S` its input schema. */
export interface NetworkTool<C, S extends z.ZodObject = z.ZodObject> {
  name: string;
  /** A short human title (MCP shows it). */
  title: string;
  /** The context may name the agents a tool can address. */
  describe(ctx: C): string;
  input: S;
  /** Only reads: safe to call again; an `approve.tools` of `"*"` does not gate it (naming it does). */
  readOnly?: boolean;
  run(input: z.output<S>, ctx: C, call?: ToolCall): Promise<ToolResult>;
}

/** Checks a definition's types (the handler's input is the schema's output). */
export const networkTool = <C, S extends z.ZodObject>(tool: NetworkTool<C, S>): NetworkTool<C, S> => tool;

/** A result in words, with data when there is some. */
export const said = (text: string, data?: Record<string, unknown>): ToolResult => (data ? { text, data } : { text });

/** Words followed by the data as JSON, all in the text (no structured part). */
export const shown = (words: string, data: unknown): ToolResult => said(`${words}\n${JSON.stringify(data, null, 2)}`);

/** The tool on the model surface, bound to its context: the model reads the words. */
export function asModelTool<C>(tool: NetworkTool<C>, ctx: C): Tool {
  const model = defineTool(tool.name, tool.describe(ctx), tool.input, async (input, call) => {
    const r = await tool.run(input, ctx, call.signal ? { signal: call.signal } : {});
    if (r.isError) throw new ToolRefusal(r.text);
    return r.text;
  });
  return tool.readOnly ? { ...model, readOnly: true } : model;
}
