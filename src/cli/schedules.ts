/** `agentnet schedules [AGENT]`: each schedule with its last run, next run and missed runs. */
import { AgentnetError } from '../errors.ts';
import { describeMissed, describeRun, scheduleOverview, type ScheduleOverview } from '../tasks/overview.ts';
import { utcTime } from '../tasks/slots.ts';
import { CONFIG_HELP, CONFIG_OPTION, readConfig, withStore, type CliIo, type Command } from './command.ts';
import { safeText } from './format.ts';

function print(o: ScheduleOverview, io: CliIo): void {
  const tz = o.timezone ? ` ${o.timezone}` : '';
  io.out(safeText(`${o.agent}/${o.schedule}  "${o.cron}"${tz}  ${o.task}${o.catchUp ? '  catchUp' : ''}`) + '\n');
  io.out(safeText(`  last run  ${o.lastRun ? describeRun(o.lastRun) : 'none yet'}`) + '\n');
  io.out(`  next run  ${o.next ? utcTime(o.next) : 'none (the cron has no more slots)'}\n`);
  io.out(`  missed    ${describeMissed(o.missed)}\n`);
}

export const schedulesCommand: Command = {
  usage: 'agentnet schedules [AGENT] [--json]',
  help: `Every schedule of the config (or of AGENT) with its last run (due, started, finished,
outcome), its next run and its missed runs: slots that did not start within the schedule's
graceMs because the agent was down, the network paused, the machine asleep or its clock
jumped. Times are UTC. The runs are read from the store; the next run from the cron.

Options:
  --json              one JSON object per schedule and line
${CONFIG_HELP}`,
  positionals: true,
  options: { ...CONFIG_OPTION, json: { type: 'boolean' } },
  async run(values, positionals, io) {
    if (positionals.length > 1) throw new AgentnetError('USAGE', `give at most one agent: ${this.usage}`);
    const { config } = readConfig(values, io);
    const list = await withStore(values, io, (store) => scheduleOverview(config, store.scheduleRuns, Date.now(), positionals[0]));
    if (values.json) return void list.forEach((o) => io.out(JSON.stringify(o) + '\n'));
    if (list.length === 0) return void io.out(`No schedules${positionals[0] ? ` for ${positionals[0]}` : ''} in the config (an autonomous agent's schedules:).\n`);
    for (const o of list) print(o, io);
  },
};
