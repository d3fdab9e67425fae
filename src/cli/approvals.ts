/** `agentnet approvals [ls | approve ID | deny ID]`: the owner's yes or no from the terminal, and the audit. */
import { AgentnetError } from '../errors.ts';
import { decisionError, decisionLine, describeAction, type Approval, type Approvals } from '../store/index.ts';
import { CONFIG_HELP, CONFIG_OPTION, withStore, type CliIo, type Command } from './command.ts';
import { safeText } from './format.ts';

/** Who and which channel a decision taken here is recorded as. */
const TERMINAL = 'terminal';

const minutes = (ms: number) => (Math.abs(ms) < 90_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`);

/** One approval on one line: the code, the status, who asks, what, until when or who decided, why. */
function row(a: Approval, now: number): string {
  const left = Date.parse(a.expiresAt) - now;
  const state = a.status === 'pending'
    ? left > 0 ? `expires in ${minutes(left)}` : 'lapsed, not answered'
    : a.status === 'expired' ? `expired ${a.expiresAt}`
    : `${a.status} by ${a.decidedBy} via ${a.channel} at ${a.decidedAt}${a.ranAt ? `; ran ${a.ranAt}` : ''}`;
  return safeText(`${a.code}  ${a.status.padEnd(8)} ${a.agent}: ${describeAction(a.action)}  (${state})  why: ${a.reason}  [${a.id}]`);
}

async function list(approvals: Approvals, all: boolean, json: boolean, io: CliIo): Promise<void> {
  const found = await approvals.list(all ? { all: true, limit: 1000 } : {});
  if (json) return void found.forEach((a) => io.out(JSON.stringify(a) + '\n'));
  if (found.length === 0) return void io.out(all ? 'No approvals yet.\n' : 'Nothing waits for your yes. (Every approval: agentnet approvals ls --all)\n');
  const now = Date.now();
  for (const a of found) io.out(row(a, now) + '\n');
}

export const approvalsCommand: Command = {
  usage: 'agentnet approvals [ls [--all] [--json]] | approve ID | deny ID',
  help: `Actions an agent's approve: policy holds until the owner says yes. Without a subcommand,
or with ls: the pending ones (code, agent, action with its arguments, expiry, why).

  ls [--all] [--json]   --all: every approval, decided and expired too (the audit: who asked,
                        what, why, who decided, when, from which channel, when it ran)
  approve ID            say yes: ID is the four-digit code or the approval's id
  deny ID               say no; the action does not run

A decision is taken once, only while the approval is pending and before it expires; it is
recorded as by "terminal", channel "terminal". Exit 1 when nothing changed (already decided,
expired, no such code).

Options:
  --all               (ls) every approval, not only the pending ones
  --json              (ls) one JSON object per line
${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION, all: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, positionals, io) {
    const [sub = 'ls', ref, ...extra] = positionals;
    if (sub === 'ls') {
      if (ref !== undefined) throw new AgentnetError('USAGE', `approvals ls takes no argument, got "${ref}"`);
      return withStore(values, io, (store) => list(store.approvals, values.all === true, values.json === true, io));
    }
    if (sub !== 'approve' && sub !== 'deny') throw new AgentnetError('USAGE', `unknown subcommand "${sub}"; usage: ${this.usage}`);
    if (!ref || extra.length > 0) throw new AgentnetError('USAGE', `give one approval: agentnet approvals ${sub} CODE (see: agentnet approvals ls)`);
    if (values.all || values.json) throw new AgentnetError('USAGE', `--all and --json are options of approvals ls`);
    return withStore(values, io, async (store) => {
      const key = /^\d{4}$/.test(ref) ? { code: ref } : { id: ref };
      const r = await store.approvals.decide({ ...key, decision: sub, by: TERMINAL, channel: TERMINAL });
      if (r.outcome !== 'decided') throw decisionError(r, ref, sub);
      io.out(safeText(decisionLine(r.approval)) + '\n');
    });
  },
};
