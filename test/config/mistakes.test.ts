/** Config mistakes a newcomer makes: each is one located line saying what is wrong and what to write. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { agentnet, tempDir } from '../helpers/util.ts';

/** The problem lines of a config error (after its first line). */
function problems(file: string): string[] {
  try {
    loadConfig(file, { env: {} });
  } catch (err) {
    return (err as Error).message.split('\n').slice(1);
  }
  assert.fail('the config was accepted');
}

describe('config mistakes', () => {
  const write = (dir: string, agents: string) => {
    const file = join(dir, 'agentnet.yaml');
    writeFileSync(file, `network: home\nagents:\n${agents}`);
    return file;
  };

  it('a prompt path that names no file is an error in config check and doctor, located', async () => {
    const { dir, cleanup } = tempDir('agentnet-cfg-prompt-');
    try {
      mkdirSync(join(dir, 'prompts'));
      writeFileSync(join(dir, 'prompts', 'claude.md'), 'You are claude.\n');
      const file = write(dir, '  claude:\n    role: orchestrator\n    prompt: prompts/claud.md\n    health: { port: 7701 }\n');
      const [line, ...rest] = problems(file);
      assert.deepEqual(rest, []);
      assert.equal(line, `  ${file}:5:13  agents.claude.prompt: no such file: ${join(dir, 'prompts', 'claud.md')} (from "prompts/claud.md", relative to the config file); fix the path, or remove prompt: to use the role's default`);
      const check = await agentnet(['config', 'check'], { cwd: dir });
      assert.equal(check.code, 1);
      assert.match(check.stderr, /agents\.claude\.prompt: no such file/);
      const doctor = await agentnet(['doctor', '--offline'], { cwd: dir });
      assert.equal(doctor.code, 1);
      assert.match(doctor.stdout, /FAIL\s+config: .*\n.*agents\.claude\.prompt: no such file/);
      // The right path passes; no prompt: at all still means the default prompt.
      write(dir, '  claude:\n    role: orchestrator\n    prompt: prompts/claude.md\n    health: { port: 7701 }\n  kaylee: { role: autonomous, health: { port: 7703 } }\n');
      assert.equal((await agentnet(['config', 'check'], { cwd: dir })).code, 0);
    } finally {
      cleanup();
    }
  });

  it('a duplicate health port names the other agent, without dumping the config', () => {
    const { dir, cleanup } = tempDir('agentnet-cfg-port-');
    try {
      const file = write(dir, '  claude: { role: orchestrator, health: { port: 7801 } }\n  kami: { role: relay, health: { port: 7801 } }\n');
      assert.deepEqual(problems(file), [`  ${file}:4:40  agents.kami.health.port: port 7801 is already the health port of agent "claude"; give each agent its own`]);
    } finally {
      cleanup();
    }
  });

  it('a bad cron expression says what to write, without the parser class or the schedule object', () => {
    const { dir, cleanup } = tempDir('agentnet-cfg-cron-');
    try {
      const file = write(dir, '  kaylee:\n    role: autonomous\n    health: { port: 7703 }\n    schedules:\n      - { name: check, cron: "*/5 * *", task: monitor }\n');
      const lines = problems(file);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /:7:\d+ {2}agents\.kaylee\.schedules\.0\.cron: "\*\/5 \* \*" is not a cron expression \(.*\); write 5 fields, minute hour day month weekday, e\.g\. "\*\/5 \* \* \* \*" for every 5 minutes$/);
      assert.doesNotMatch(lines[0]!, /CronPattern|got \{|expected not/);
    } finally {
      cleanup();
    }
  });
});
