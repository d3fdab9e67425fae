/** The approval policy: the config's `approve:` (parsed, located errors) and needsApproval applied to each kind of action. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { approvalPolicyGaps, commandAction, needsApproval, NEVER_GATED_TOOLS, toolCallApproval } from '../../src/agent/approvals.ts';
import { MCP_TOOL_NAMES } from '../../src/orchestrator/mcp-tools.ts';
import { ConfigError, DEFAULT_APPROVAL_TTL_MS, initNetwork, loadConfig, parseConfig, type ApprovalPolicy } from '../../src/config/index.ts';
import { tempDir } from '../helpers/util.ts';

const yaml = (approve: string) => `network: home
agents:
  kaylee:
    role: autonomous
    health: { port: 7703 }
    approve: ${approve}
`;

const policyOf = (approve: string): ApprovalPolicy => parseConfig(yaml(approve), 'agentnet.yaml', { env: {} }).config.agents.kaylee!.approve!;

function problemsOf(approve: string): string[] {
  try {
    parseConfig(yaml(approve), 'agentnet.yaml', { env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.split('\n').slice(1).map((l) => l.trim());
  }
  assert.fail('the policy was accepted');
}

describe('approval policy in the config', () => {
  it("parses the issue's example, with ttl in the CLI's duration forms or milliseconds", () => {
    const p = policyOf('{ deploy: [production], run_command: [[systemctl, restart]], ttl: 10m }');
    assert.deepEqual(p, { deploy: ['production'], run_command: [['systemctl', 'restart']], http_get: [], tools: [], tasks: [], ttlMs: 600_000 });
    assert.equal(policyOf('{ ttl: 45s }').ttlMs, 45_000);
    assert.equal(policyOf('{ ttl: 2h }').ttlMs, 7_200_000);
    assert.equal(policyOf('{ ttl: 1d }').ttlMs, 86_400_000);
    assert.equal(policyOf('{ ttl: 90000 }').ttlMs, 90_000);
    assert.equal(policyOf('{ deploy: [web] }').ttlMs, DEFAULT_APPROVAL_TTL_MS);
    assert.equal(DEFAULT_APPROVAL_TTL_MS, 600_000, 'ten minutes, as the issue says');
    const none = parseConfig(yaml('{}').replace(/ {4}approve: \{\}\n/, ''), 'agentnet.yaml', { env: {} }).config.agents.kaylee!;
    assert.equal(none.approve, undefined, 'no policy: nothing waits');
  });

  it('says where a policy is wrong and what to write', () => {
    assert.deepEqual(problemsOf('{ ttl: 10 minutes }'), ['agentnet.yaml:6:21  agents.kaylee.approve.ttl: expected a duration like 30s, 10m, 2h or 1d (or a number of milliseconds), got "10 minutes"']);
    assert.match(problemsOf('{ ttl: 0 }')[0]!, /agents\.kaylee\.approve\.ttl: /);
    assert.match(problemsOf('{ deploi: [production] }')[0]!, /:6:\d+ {2}agents\.kaylee\.approve: unknown key "deploi"/);
    assert.match(problemsOf('{ tasks: [deplyo] }')[0]!, /agents\.kaylee\.approve\.tasks\.0: expected one of .*"deploy"/);
    assert.match(problemsOf('{ deploy: [prod uction] }')[0]!, /approve\.deploy\.0: expected a deployment's name, or "\*" for every one, got "prod uction"/);
    assert.match(problemsOf('{ run_command: [systemctl] }')[0]!, /agents\.kaylee\.approve\.run_command\.0: expected array/);
    assert.match(problemsOf('{ run_command: [[]] }')[0]!, /approve\.run_command\.0: a command and maybe its first arguments/);
    assert.match(problemsOf('{ http_get: ["http://x y"] }')[0]!, /approve\.http_get\.0: expected an IP address .* or \*\.example\.com/);
  });
});

describe('needsApproval', () => {
  const p = policyOf(`
      deploy: [production]
      run_command: [[systemctl, restart], [git, push, origin, main]]
      http_get: [admin.example.com, "*.internal.example.org"]
      tools: [memory_set, request_payment]
      tasks: [code-review]`);

  it('a deployment by name', () => {
    assert.equal(needsApproval(p, { kind: 'deploy', name: 'production' }), true);
    assert.equal(needsApproval(p, { kind: 'deploy', name: 'staging' }), false);
    assert.equal(needsApproval(policyOf('{ deploy: ["*"] }'), { kind: 'deploy', name: 'staging' }), true, '* is every deployment');
  });

  it('a command by argv prefix, its exact words', () => {
    assert.equal(needsApproval(p, commandAction(['systemctl', 'restart', 'nginx'])), true);
    assert.equal(needsApproval(p, commandAction(['systemctl', 'restart'])), true);
    assert.equal(needsApproval(p, commandAction(['systemctl', 'status', 'nginx'])), false);
    assert.equal(needsApproval(p, commandAction(['systemctl'])), false, 'shorter than the prefix');
    assert.equal(needsApproval(p, commandAction(['git', 'push', 'origin', 'main'])), true);
    assert.equal(needsApproval(p, commandAction(['git', 'push', 'origin', 'feature'])), false);
    assert.equal(needsApproval(p, commandAction(['systemctl', 'restarts'])), false, 'words, not text');
    assert.deepEqual(commandAction(['systemctl', 'restart', 'nginx']), { kind: 'run_command', name: 'systemctl', args: ['restart', 'nginx'] });
  });

  it('an HTTP GET by host, exact or by subdomain, whatever the case', () => {
    assert.equal(needsApproval(p, { kind: 'http_get', name: 'https://admin.example.com/users' }), true);
    assert.equal(needsApproval(p, { kind: 'http_get', name: 'https://ADMIN.example.com:8443/' }), true);
    assert.equal(needsApproval(p, { kind: 'http_get', name: 'https://api.example.com/' }), false);
    assert.equal(needsApproval(p, { kind: 'http_get', name: 'http://db.internal.example.org/health' }), true);
    assert.equal(needsApproval(p, { kind: 'http_get', name: 'http://internal.example.org/' }), false, '*. is the subdomains');
    assert.equal(needsApproval(p, { kind: 'http_get', name: 'not a url' }), false, 'the tool refuses it; nothing to ask');
  });

  it('a tool and a task kind by name', () => {
    assert.equal(needsApproval(p, { kind: 'tool', name: 'memory_set', args: { key: 'x' } }), true);
    assert.equal(needsApproval(p, { kind: 'tool', name: 'memory_get' }), false);
    assert.equal(needsApproval(p, { kind: 'tool', name: 'request_payment' }), true, 'an MCP tool by name');
    assert.equal(needsApproval(p, { kind: 'task', name: 'code-review' }), true);
    assert.equal(needsApproval(p, { kind: 'task', name: 'monitor' }), false);
    assert.equal(needsApproval(policyOf('{ tasks: ["*"] }'), { kind: 'task', name: 'monitor' }), true);
  });

  it('nothing waits without a policy, or for a kind the policy does not list', () => {
    assert.equal(needsApproval(undefined, { kind: 'deploy', name: 'production' }), false);
    const deployOnly = policyOf('{ deploy: [production] }');
    assert.equal(needsApproval(deployOnly, commandAction(['systemctl', 'restart', 'nginx'])), false);
    assert.equal(needsApproval(deployOnly, { kind: 'tool', name: 'run_command' }), false);
  });

  it("init's network asks before a production deployment", () => {
    const { dir, cleanup } = tempDir('agentnet-approve-init-');
    try {
      initNetwork(dir);
      const { config } = loadConfig(join(dir, 'agentnet.yaml'), { env: {} });
      const kaylee = config.agents.kaylee!;
      assert.equal(needsApproval(kaylee.approve, { kind: 'deploy', name: 'production' }), true);
      assert.equal(needsApproval(kaylee.approve, { kind: 'deploy', name: 'staging' }), false);
      assert.equal(kaylee.approve?.ttlMs, 600_000);
    } finally {
      cleanup();
    }
  });

  it("init's network has no policy gap: a deployment not defined yet is a promise, not a typo", () => {
    const { dir, cleanup } = tempDir('agentnet-approve-gaps-');
    try {
      initNetwork(dir);
      const { config } = loadConfig(join(dir, 'agentnet.yaml'), { env: {} });
      assert.deepEqual(Object.values(config.agents).flatMap((a) => approvalPolicyGaps(a)), []);
    } finally {
      cleanup();
    }
  });
});

describe('toolCallApproval: what a model\'s call asks the owner about', () => {
  const p = policyOf(`
      run_command: [[systemctl, restart]]
      http_get: [admin.example.com]
      tools: [memory_set]`);

  it('a command or a URL is asked about as itself; another tool with its arguments; the rest runs unasked', () => {
    assert.deepEqual(toolCallApproval(p, 'run_command', { argv: ['systemctl', 'restart', 'nginx'] }), { kind: 'run_command', name: 'systemctl', args: ['restart', 'nginx'] });
    assert.equal(toolCallApproval(p, 'run_command', { argv: ['systemctl', 'status', 'nginx'] }), undefined);
    assert.deepEqual(toolCallApproval(p, 'http_get', { url: 'https://admin.example.com/users' }), { kind: 'http_get', name: 'https://admin.example.com/users' });
    assert.equal(toolCallApproval(p, 'http_get', { url: 'https://api.example.com/' }), undefined);
    assert.deepEqual(toolCallApproval(p, 'memory_set', { namespace: 'n', key: 'k', value: 1 }), { kind: 'tool', name: 'memory_set', args: { namespace: 'n', key: 'k', value: 1 } });
    assert.equal(toolCallApproval(p, 'memory_get', { namespace: 'n', key: 'k' }), undefined);
    assert.equal(toolCallApproval(undefined, 'run_command', { argv: ['systemctl', 'restart', 'nginx'] }), undefined, 'no policy: nothing asks');
  });

  it('a tool named under tools: asks for every call, a command still shown as the command', () => {
    const all = policyOf('{ tools: [run_command, http_get] }');
    assert.deepEqual(toolCallApproval(all, 'run_command', { argv: ['ls'] }), { kind: 'run_command', name: 'ls', args: [] });
    assert.deepEqual(toolCallApproval(all, 'http_get', { url: 'https://x.example.com/' }), { kind: 'http_get', name: 'https://x.example.com/' });
    assert.deepEqual(toolCallApproval(policyOf('{ tools: ["*"] }'), 'bridge_send', { to: 'kami' }), { kind: 'tool', name: 'bridge_send', args: { to: 'kami' } });
  });

  it('"*" gates every tool that acts, a read-only tool only when named; request_approval and approval_status never', () => {
    const star = policyOf('{ tools: ["*"] }');
    assert.equal(toolCallApproval(star, 'memory_get', { namespace: 'n', key: 'k' }, true), undefined, 'read-only under "*": unasked');
    assert.deepEqual(toolCallApproval(policyOf('{ tools: [memory_get] }'), 'memory_get', { namespace: 'n', key: 'k' }, true), { kind: 'tool', name: 'memory_get', args: { namespace: 'n', key: 'k' } }, 'named: asked');
    for (const name of NEVER_GATED_TOOLS) {
      assert.equal(toolCallApproval(star, name, { id: 'x' }), undefined, name);
      assert.equal(toolCallApproval(policyOf(`{ tools: [${name}] }`), name, { id: 'x' }), undefined, `${name} named`);
    }
    assert.deepEqual([...NEVER_GATED_TOOLS], ['request_approval', 'approval_status']);
  });
});

describe('approvalPolicyGaps: what a policy names that gates nothing', () => {
  const agent = (approve: string, extra = '', role = 'autonomous') =>
    parseConfig(`network: home\nagents:\n  kaylee:\n    role: ${role}\n    health: { port: 7703 }\n    approve: ${approve}\n${extra}`, 'agentnet.yaml', { env: {} }).config.agents.kaylee!;
  const web = '    deployments: { web: { command: [./deploy.sh] } }\n';
  const granted = '    tools: [memory_set, { name: run_command, allow: [[systemctl]] }, { name: http_get, hosts: [admin.example.com] }]\n';

  it('every key is enforced: a policy on granted tools and its own kinds has no gap', () => {
    assert.deepEqual(approvalPolicyGaps(agent('{ run_command: [[systemctl, restart]], http_get: [admin.example.com], tools: [memory_set], tasks: [code-review] }', granted)), []);
    assert.deepEqual(approvalPolicyGaps(agent('{ tools: ["*"] }', granted)), []);
  });

  it('names a gate on a tool the agent is not granted (a typo, or a grant forgotten)', () => {
    const gaps = approvalPolicyGaps(agent('{ run_command: [[systemctl, restart]], tools: [memroy_set] }', '    tools: [memory_set]\n'));
    assert.equal(gaps.length, 2);
    assert.match(gaps[0]!, /kaylee: approve\.run_command gates nothing: kaylee is not granted run_command/);
    assert.match(gaps[1]!, /approve\.tools names "memroy_set", not among the tools it is granted \(memory_set\): check the spelling/);
  });

  it('names keys the role makes moot; an orchestrator gating its MCP tools has no gap (its MCP calls ask), a misspelled one has', () => {
    assert.match(approvalPolicyGaps(agent('{ tasks: [prompt] }', '', 'relay'))[0]!, /approve\.tasks has no effect on a relay agent/);
    const orchestrator = agent('{ tools: [memory_set, bridge_claim, task_enqueue] }', '', 'orchestrator');
    assert.deepEqual(approvalPolicyGaps(orchestrator), [], 'tools: on an orchestrator gates its MCP sessions: nothing to warn about');
    assert.deepEqual(approvalPolicyGaps(orchestrator, MCP_TOOL_NAMES), [], 'every name is a tool agentnet mcp serves');
    const typo = approvalPolicyGaps(agent('{ tools: [memroy_set, memory_get] }', '', 'orchestrator'), MCP_TOOL_NAMES);
    assert.equal(typo.length, 1);
    assert.match(typo[0]!, /^kaylee: approve\.tools names "memroy_set", not among its own tools or those agentnet mcp serves as kaylee \(bridge_inbox, .*\): check the spelling/);
  });

  it('names request_approval and approval_status, which never wait for a yes', () => {
    const gaps = approvalPolicyGaps(agent('{ tools: [request_approval, approval_status, memory_set] }', '', 'orchestrator'), MCP_TOOL_NAMES);
    assert.deepEqual(gaps, ['kaylee: approve.tools names "request_approval", "approval_status", which never wait for a yes (they are how the owner is asked): remove them']);
  });

  it('names a deployment the agent does not define once it defines some (a typo)', () => {
    assert.deepEqual(approvalPolicyGaps(agent('{ deploy: [web] }', web)), []);
    assert.deepEqual(approvalPolicyGaps(agent('{ deploy: ["*"] }', web)), []);
    const [gap, ...more] = approvalPolicyGaps(agent('{ deploy: [wbe] }', web));
    assert.equal(more.length, 0);
    assert.match(gap!, /approve\.deploy names "wbe", not among its deployments \(web\)/);
  });
});
