/**
 * Which actions wait for the owner's yes: the agent's `approve:` policy applied to one action.
 * Pure: the store keeps the requests (store/approvals.ts); a task asks through
 * tasks/approval-gate.ts, a tool call (a model's, or one over `agentnet mcp`) through tools/gated.ts.
 */
import type { ApprovalPolicy } from '../config/index.ts';
import { approvalStatus, requestApproval } from './tools/approval-tools.ts';
import { hostAllowed } from './tools/http-get.ts';

/**
 * An action an agent is about to take, in the store's shape (kind, name, args). `name` is what a
 * policy matches: the deployment, the command (argv[0]), the URL, the tool, the task kind.
 */
export type GatedAction =
  | { kind: 'deploy'; name: string; args?: unknown }
  | { kind: 'run_command'; name: string; args: string[] }
  | { kind: 'http_get'; name: string }
  | { kind: 'tool'; name: string; args?: unknown }
  | { kind: 'task'; name: string; args?: unknown };

/** The action of a run_command call: the command as name, the rest of the argv as args. */
export const commandAction = (argv: string[]): GatedAction => ({ kind: 'run_command', name: argv[0] ?? '', args: argv.slice(1) });

const named = (names: readonly string[], name: string) => names.includes('*') || names.includes(name);

/** Whether `action` must wait for the owner's yes under `policy` (no policy: nothing waits). */
export function needsApproval(policy: ApprovalPolicy | undefined, action: GatedAction): boolean {
  if (!policy) return false;
  switch (action.kind) {
    case 'deploy':
      return named(policy.deploy, action.name);
    case 'run_command': {
      const argv = [action.name, ...action.args];
      return policy.run_command.some((prefix) => prefix.length <= argv.length && prefix.every((w, i) => argv[i] === w));
    }
    case 'http_get': {
      let host: string;
      try {
        host = new URL(action.name).hostname;
      } catch {
        return false; // not a URL: the tool refuses it, nothing runs, nothing to ask
      }
      return hostAllowed(host, policy.http_get);
    }
    case 'tool':
      return named(policy.tools, action.name);
    case 'task':
      return named(policy.tasks, action.name);
  }
}

/**
 * The tools no policy gates: they are how the owner is asked (asking for a yes before asking for
 * a yes would never end).
 */
export const NEVER_GATED_TOOLS: readonly string[] = [requestApproval.name, approvalStatus.name];

/**
 * What a call of the tool `name` with `input` (a model's, or one over `agentnet mcp`) asks the
 * owner about, or undefined when the policy lets it run unasked. A command or a URL is asked about
 * as itself (`run_command systemctl restart nginx`), whether its prefix or host is named or the
 * tool is (`tools:`); any other tool as the tool with its arguments. A tool that only reads
 * (`readOnly`) is gated only when named, not by `"*"`; NEVER_GATED_TOOLS never are.
 */
export function toolCallApproval(policy: ApprovalPolicy | undefined, name: string, input: unknown, readOnly = false): GatedAction | undefined {
  if (!policy || NEVER_GATED_TOOLS.includes(name)) return undefined;
  const tool: GatedAction = { kind: 'tool', name, args: input };
  const args = (input ?? {}) as { argv?: unknown; url?: unknown };
  const own: GatedAction | undefined =
    name === 'run_command' && Array.isArray(args.argv) ? commandAction(args.argv as string[]) : name === 'http_get' && typeof args.url === 'string' ? { kind: 'http_get', name: args.url } : undefined;
  if (own && needsApproval(policy, own)) return own;
  const named = readOnly ? policy.tools.includes(name) : needsApproval(policy, tool);
  return named ? (own ?? tool) : undefined;
}

/** What approvalPolicyGaps reads of an agent. */
export interface PolicyHolder {
  name: string;
  role: string;
  approve?: ApprovalPolicy;
  deployments: Record<string, unknown>;
  tools: ReadonlyArray<string | { name: string }>;
}

/**
 * What an agent's `approve:` policy names that gates nothing: keys its role or its grants make
 * moot, deployments or tools it does not have (a typo there would leave the real one ungated), and
 * tools no policy gates. `mcpTools` are the names `agentnet mcp` serves: on an orchestrator (the
 * agent an MCP server runs as) they are gated too, so a name among them is not a typo; without
 * them, an orchestrator's tool names are not checked. Each gap is a sentence saying what to do;
 * empty when all is well.
 */
export function approvalPolicyGaps(agent: PolicyHolder, mcpTools?: readonly string[]): string[] {
  const p = agent.approve;
  if (!p) return [];
  return [...roleGaps(agent, p), ...grantGaps(agent, p, mcpTools), ...deploymentGaps(agent, p)];
}

function roleGaps(agent: PolicyHolder, p: ApprovalPolicy): string[] {
  const gaps: string[] = [];
  if (p.deploy.length && agent.role !== 'autonomous') gaps.push(`${agent.name}: approve.deploy has no effect on a ${agent.role} agent (deployments are the autonomous role's tasks)`);
  if (p.tasks.length && agent.role !== 'autonomous') gaps.push(`${agent.name}: approve.tasks has no effect on a ${agent.role} agent (tasks are the autonomous role's)`);
  const never = p.tools.filter((t) => NEVER_GATED_TOOLS.includes(t));
  if (never.length) gaps.push(`${agent.name}: approve.tools names ${never.map((t) => `"${t}"`).join(', ')}, which never ${never.length === 1 ? 'waits' : 'wait'} for a yes (${never.length === 1 ? 'it is' : 'they are'} how the owner is asked): remove ${never.length === 1 ? 'it' : 'them'}`);
  return gaps;
}

/** Gates on tools the agent is not granted (nor serves over MCP): a command, a host or a name that can never be called. */
function grantGaps(agent: PolicyHolder, p: ApprovalPolicy, mcpTools: readonly string[] | undefined): string[] {
  const granted = agent.tools.map((t) => (typeof t === 'string' ? t : t.name));
  const gaps: string[] = [];
  for (const key of ['run_command', 'http_get'] as const) {
    if (p[key].length && !granted.includes(key)) gaps.push(`${agent.name}: approve.${key} gates nothing: ${agent.name} is not granted ${key} (tools:)`);
  }
  const orchestrator = agent.role === 'orchestrator';
  if (orchestrator && !mcpTools) return gaps;
  const known = orchestrator ? [...new Set([...granted, ...mcpTools!])] : granted;
  const unknown = p.tools.filter((t) => t !== '*' && !known.includes(t) && !NEVER_GATED_TOOLS.includes(t));
  const among = orchestrator ? `its own tools or those agentnet mcp serves as ${agent.name}` : 'the tools it is granted';
  if (unknown.length) gaps.push(`${agent.name}: approve.tools names ${unknown.map((t) => `"${t}"`).join(', ')}, not among ${among} (${known.join(', ') || 'none'}): check the spelling — a misspelled name leaves the real tool ungated`);
  return gaps;
}

function deploymentGaps(agent: PolicyHolder, p: ApprovalPolicy): string[] {
  // With no deployments yet (init's config) a name is a promise for later, not a typo.
  const defined = Object.keys(agent.deployments);
  const undefinedDeploys = p.deploy.filter((d) => d !== '*' && !defined.includes(d));
  if (!undefinedDeploys.length || !defined.length || agent.role !== 'autonomous') return [];
  return [`${agent.name}: approve.deploy names ${undefinedDeploys.map((d) => `"${d}"`).join(', ')}, not among its deployments (${defined.join(', ')}): check the spelling — a misspelled name leaves the real deployment ungated`];
}
