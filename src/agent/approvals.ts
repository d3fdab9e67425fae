/**
 * Which actions wait for the owner's yes: the agent's `approve:` policy applied to one action.
 * Pure: the store keeps the requests (store/approvals.ts); a task asks through
 * tasks/approval-gate.ts, a model's tool call through tools/gated.ts.
 */
import type { ApprovalPolicy } from '../config/index.ts';
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
 * What a model's call of the tool `name` with `input` asks the owner about, or undefined when the
 * policy lets it run unasked. A command or a URL is asked about as itself (`run_command systemctl
 * restart nginx`), whether its prefix or host is named or the tool is (`tools:`); any other tool
 * as the tool with its arguments.
 */
export function toolCallApproval(policy: ApprovalPolicy | undefined, name: string, input: unknown): GatedAction | undefined {
  if (!policy) return undefined;
  const tool: GatedAction = { kind: 'tool', name, args: input };
  const args = (input ?? {}) as { argv?: unknown; url?: unknown };
  const own: GatedAction | undefined =
    name === 'run_command' && Array.isArray(args.argv) ? commandAction(args.argv as string[]) : name === 'http_get' && typeof args.url === 'string' ? { kind: 'http_get', name: args.url } : undefined;
  if (own && needsApproval(policy, own)) return own;
  return needsApproval(policy, tool) ? (own ?? tool) : undefined;
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
 * the MCP surface, which does not ask yet. Each is a sentence saying what to do; empty when all is well.
 */
export function approvalPolicyGaps(agent: PolicyHolder): string[] {
  const p = agent.approve;
  if (!p) return [];
  return [...roleGaps(agent, p), ...grantGaps(agent, p), ...deploymentGaps(agent, p)];
}

function roleGaps(agent: PolicyHolder, p: ApprovalPolicy): string[] {
  const gaps: string[] = [];
  if (p.deploy.length && agent.role !== 'autonomous') gaps.push(`${agent.name}: approve.deploy has no effect on a ${agent.role} agent (deployments are the autonomous role's tasks)`);
  if (p.tasks.length && agent.role !== 'autonomous') gaps.push(`${agent.name}: approve.tasks has no effect on a ${agent.role} agent (tasks are the autonomous role's)`);
  if (p.tools.length && agent.role === 'orchestrator') gaps.push(`${agent.name}: approve.tools gates the calls of ${agent.name}'s own model; a Claude Code session's calls over agentnet mcp (and a claude-code model's) are not asked yet: grant those tools there only where running them unasked is acceptable`);
  return gaps;
}

/** Gates on tools the agent is not granted: a command, a host or a name that can never be called. */
function grantGaps(agent: PolicyHolder, p: ApprovalPolicy): string[] {
  const granted = agent.tools.map((t) => (typeof t === 'string' ? t : t.name));
  const gaps: string[] = [];
  for (const key of ['run_command', 'http_get'] as const) {
    if (p[key].length && !granted.includes(key)) gaps.push(`${agent.name}: approve.${key} gates nothing: ${agent.name} is not granted ${key} (tools:)`);
  }
  const unknown = p.tools.filter((t) => t !== '*' && !granted.includes(t));
  if (unknown.length && agent.role !== 'orchestrator') gaps.push(`${agent.name}: approve.tools names ${unknown.map((t) => `"${t}"`).join(', ')}, not among the tools it is granted (${granted.join(', ') || 'none'}): check the spelling — a misspelled name leaves the real tool ungated`);
  return gaps;
}

function deploymentGaps(agent: PolicyHolder, p: ApprovalPolicy): string[] {
  // With no deployments yet (init's config) a name is a promise for later, not a typo.
  const defined = Object.keys(agent.deployments);
  const undefinedDeploys = p.deploy.filter((d) => d !== '*' && !defined.includes(d));
  if (!undefinedDeploys.length || !defined.length || agent.role !== 'autonomous') return [];
  return [`${agent.name}: approve.deploy names ${undefinedDeploys.map((d) => `"${d}"`).join(', ')}, not among its deployments (${defined.join(', ')}): check the spelling — a misspelled name leaves the real deployment ungated`];
}
