/**
 * Which actions wait for the owner's yes: the agent's `approve:` policy applied to one action.
 * Pure: the store keeps the requests (store/approvals.ts), the roles ask and wait.
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

/** The parts of an `approve:` policy this version enforces: a deploy task waits; the rest is validated only. */
const NOT_ENFORCED_YET = ['run_command', 'http_get', 'tools', 'tasks'] as const;

/**
 * What an agent's `approve:` policy promises and this version does not keep, or names wrongly:
 * keys that do not gate anything yet, and deployments the agent does not define (a typo there
 * would leave the real one ungated). Each is a sentence saying what to do; empty when all is well.
 */
export function approvalPolicyGaps(agent: { name: string; role: string; approve?: ApprovalPolicy; deployments: Record<string, unknown> }): string[] {
  const p = agent.approve;
  if (!p) return [];
  const gaps: string[] = [];
  const unenforced = NOT_ENFORCED_YET.filter((k) => p[k].length > 0);
  if (unenforced.length) gaps.push(`${agent.name}: approve.${unenforced.join(', approve.')} ${unenforced.length > 1 ? 'are' : 'is'} not enforced yet (only deploy tasks wait for a yes in this version): do not rely on it; grant those tools only where running them unasked is acceptable`);
  if (p.deploy.length && agent.role !== 'autonomous') gaps.push(`${agent.name}: approve.deploy has no effect on a ${agent.role} agent (deployments are the autonomous role's tasks)`);
  // With no deployments yet (init's config) a name is a promise for later, not a typo.
  const defined = Object.keys(agent.deployments);
  const undefinedDeploys = p.deploy.filter((d) => d !== '*' && !defined.includes(d));
  if (undefinedDeploys.length && defined.length && agent.role === 'autonomous') gaps.push(`${agent.name}: approve.deploy names ${undefinedDeploys.map((d) => `"${d}"`).join(', ')}, not among its deployments (${defined.join(', ')}): check the spelling — a misspelled name leaves the real deployment ungated`);
  return gaps;
}
