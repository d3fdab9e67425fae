/** `agentnet init`: writes the seed's three-agent network (claude / kami / kaylee). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { AgentnetError } from '../errors.ts';
import { CONFIG_FILE_NAME } from './load.ts';
import { renderPrompt } from './prompts.ts';

export function seedConfigYaml(network: string): string {
  return `# agentnet network: the seed's three agents. Reference: the README's "Configuration".
network: ${network}
stateDir: .agentnet            # bridge, store, logs and the PAUSE file live here

bridge:
  backend: jsonl               # one append-only messages.jsonl; grep and jq work on it
  # path: .agentnet/bridge/messages.jsonl
  fsync: false                 # true: fdatasync every append (power-loss safe, slower)
  rotate:
    olderThanDays: 30          # done messages older than this move to messages-archive-YYYY-MM.jsonl

store:
  backend: sqlite              # task queue and shared memory

dashboard:                     # the live web page agentnet up serves (agentnet dashboard alone)
  port: 7700                   # on 127.0.0.1; another host: needs a token (printed if unset)

agents:
  claude:                      # the orchestrator: your Claude Code, the brain
    role: orchestrator
    model: offline             # or claude-code, or anthropic:claude-sonnet-4-6
    prompt: prompts/claude.md
    tools: [bridge_send, bridge_reply, memory_get, memory_set, task_enqueue]
    health: { port: 7701 }

  kami:                        # the relay: your WhatsApp (terminal until you add Green API)
    role: relay
    model: offline
    prompt: prompts/kami.md
    channel: { type: terminal }  # talk to it with: agentnet chat kami
    # channel:
    #   type: whatsapp
    #   idInstance: \${GREEN_API_ID_INSTANCE}
    #   apiToken: \${GREEN_API_TOKEN}
    #   owners: ["972500000000"]   # only these numbers can command the network
    #   language: he               # or en: the relay's own words
    # channel: { type: telegram, token: \${TELEGRAM_BOT_TOKEN}, owners: [123456789] }
    tools: [bridge_send]
    health: { port: 7702 }

  kaylee:                      # the autonomous agent: monitoring, deployments, reviews
    role: autonomous
    model: offline
    prompt: prompts/kaylee.md
    tools: [bridge_send, memory_get, memory_set]
    schedules:
      - { name: monitor, cron: "*/5 * * * *", task: monitor }
      - { name: rotate-bridge, cron: "0 4 * * 0", task: rotate-bridge }
      # - { name: nightly-deploy, cron: "0 3 * * *", timezone: Asia/Jerusalem, task: deploy, payload: { deployment: production } }
      # - { name: review, cron: "0 9 * * 1-5", task: code-review, payload: { review: app } }
    # deployments:               # the only commands a deploy task may run (no shell)
    #   production: { command: [./deploy.sh, production], cwd: /srv/web, timeoutMs: 600000 }
    #   staging: { command: [./deploy.sh, staging], cwd: /srv/web }
    approve:                   # actions that wait for the owner's yes (agentnet approvals)
      deploy: [production]     # the production deployment runs only after a yes
      # run_command: [[systemctl, restart]]   # also: http_get: [host], tools: [name], tasks: [kind]
      ttl: 10m                 # unanswered this long: expired, not run
    # reviews:                   # repositories reviewed by code-review tasks
    #   app: { repo: /srv/app, ref: main }
    health: { port: 7703 }
`;
}

export interface InitResult {
  written: string[];
}

/** Writes agentnet.yaml and one prompt per agent into `dir`; refuses to overwrite unless `force`. */
export function initNetwork(dir: string, options: { network?: string; force?: boolean } = {}): InitResult {
  const root = resolve(dir);
  const files: Array<[string, string]> = [
    [join(root, CONFIG_FILE_NAME), seedConfigYaml(options.network ?? 'home')],
    [join(root, 'prompts', 'claude.md'), renderPrompt('orchestrator', 'claude')],
    [join(root, 'prompts', 'kami.md'), renderPrompt('relay', 'kami')],
    [join(root, 'prompts', 'kaylee.md'), renderPrompt('autonomous', 'kaylee')],
  ];
  const existing = files.filter(([f]) => existsSync(f)).map(([f]) => relative(process.cwd(), f) || f);
  if (existing.length > 0 && !options.force) {
    throw new AgentnetError('FILE_EXISTS', `not overwriting ${existing.join(', ')}; pass --force to replace them`);
  }
  for (const [file, text] of files) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { written: files.map(([f]) => f) };
}
