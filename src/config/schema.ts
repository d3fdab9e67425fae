/** The schema of agentnet.yaml: parsed once, at start, into a frozen typed object. */
import { isIP } from 'node:net';
import { Cron } from 'croner';
import { z } from 'zod';

export const ROLES = ['orchestrator', 'relay', 'autonomous'] as const;

/** What the autonomous agent can do: a schedule or an enqueued task names one. */
export const TASK_KINDS = ['monitor', 'rotate-bridge', 'deploy', 'code-review', 'prompt'] as const;

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a name of letters, digits, "_", "-" or "." (at most 64)');
const port = z.number().int().min(1, 'expected a port from 1 to 65535').max(65535, 'expected a port from 1 to 65535');
const positiveInt = z.number().int().positive();

/** An IP literal (127.0.0.1, ::1) or a host name by RFC 1123: dot-separated labels of letters, digits and "-" (not at either end), at most 253 characters. */
export function isHostName(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}
const HOST_EXPECTED = 'an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name (letters, digits, "-" and ".", e.g. localhost or agents.example.org)';
/** Where a server listens, or a machine to reach: checked here, not by a getaddrinfo failure at start. */
const host = z.string().refine(isHostName, HOST_EXPECTED);
/** An http(s) address whose host is one `host` accepts. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).refine(
  (u) => isHostName(new URL(u).hostname.replace(/^\[(.*)\]$/, '$1')),
  `an http:// or https:// URL whose host is ${HOST_EXPECTED}`,
);

const modelObject = z.strictObject({
  provider: z.enum(['offline', 'anthropic', 'openai', 'claude-code']),
  /** The provider's model id, e.g. claude-sonnet-4-6 or gpt-4o. */
  name: z.string().min(1).optional(),
  apiKey: z.string().optional(),
  /** OpenAI-compatible servers (Ollama, vLLM, llama.cpp) and fakes in tests. */
  baseUrl: httpUrl.optional(),
  maxTokens: positiveInt.optional(),
  timeoutMs: positiveInt.optional(),
  maxRetries: z.number().int().min(0).optional(),
  /** USD per million tokens, for the cost budget (known models have defaults). */
  price: z.strictObject({ inputPerMTok: z.number().nonnegative(), outputPerMTok: z.number().nonnegative() }).optional(),
  /** claude-code: the claude executable (default: claude on PATH). */
  command: z.string().min(1).optional(),
  /** claude-code: agentic turns per request at most (default 10). */
  maxTurns: positiveInt.max(200).optional(),
  /** claude-code: Claude Code's own tools it may use unasked, e.g. ["Read", "Bash(git log:*)"] (default none). */
  allowedTools: z.array(z.string().min(1)).optional(),
  /** claude-code: the directory it works in, relative to the config file (default: the config's directory). */
  cwd: z.string().min(1).optional(),
  /** claude-code: a chat's conversation continues in one Claude Code session until idle this long (default 12). */
  sessionIdleHours: z.number().positive().optional(),
});

/** `model: offline`, `model: anthropic:claude-sonnet-4-6`, or the object form. */
const model = z
  .union([z.string().regex(/^(offline|claude-code|(anthropic|openai):.+)$/, 'offline, claude-code, anthropic:<model> or openai:<model>'), modelObject])
  .transform((m): z.infer<typeof modelObject> => {
    if (typeof m !== 'string') return m;
    const [provider, ...rest] = m.split(':');
    const modelName = rest.join(':');
    return modelName ? { provider: provider as 'anthropic' | 'openai', name: modelName } : { provider: provider as 'offline' | 'claude-code' };
  });

const tool = z.union([
  // run_command and http_get need their allow-lists: only the object form grants them.
  // request_approval: the MCP tools request_approval and approval_status, for a headless claude-code run.
  z.enum(['bridge_send', 'bridge_reply', 'memory_get', 'memory_set', 'task_enqueue', 'request_approval']),
  z.strictObject({
    name: z.literal('run_command'),
    /** Allowed argv prefixes, e.g. [["git", "status"], ["systemctl", "status"]]. Run without a shell. */
    allow: z.array(z.array(z.string().min(1)).min(1)).min(1, 'at least one allowed command'),
    cwd: z.string().optional(),
    timeoutMs: positiveInt.optional(),
  }),
  z.strictObject({
    name: z.literal('http_get'),
    hosts: z.array(z.string().min(1)).min(1, 'at least one allowed host'),
  }),
]);

const DURATION_EXPECTED = 'a duration like 30s, 10m, 2h or 1d (or a number of milliseconds)';
/** `30s`, `10m`, `2h`, `1d` or an integer (milliseconds) as milliseconds; NaN for anything else. */
const toMs = (v: number | string) => {
  const m = typeof v === 'string' ? /^(\d+)(s|m|h|d)$/.exec(v) : undefined;
  return m ? Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'] : typeof v === 'number' && Number.isInteger(v) ? v : NaN;
};
/** `30s`, `10m`, `2h`, `1d` (the CLI's forms), or a positive number of milliseconds (the config's `...Ms` form). */
const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = toMs(v);
  if (ms > 0) return ms;
  ctx.addIssue({ code: 'custom', message: DURATION_EXPECTED, input: v });
  return z.NEVER;
});
/** A duration, or `off` (0). */
const durationOrOff = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = v === 'off' ? 0 : toMs(v);
  if (ms >= 0) return ms;
  ctx.addIssue({ code: 'custom', message: `${DURATION_EXPECTED}, or off`, input: v });
  return z.NEVER;
});

/** How often a relay asks its chat provider whether it still answers for this instance or bot (README "Channel health"). */
export const DEFAULT_CANARY_MS = 5 * 60_000;
/** Webhook mode: how long a channel may hear nothing (no webhook call, no provider confirmation) before it is degraded. */
export const DEFAULT_MAX_SILENCE_MS = 30 * 60_000;

/** How the relay tells that its channel still hears the owner (README "Channel health"); both parsed to milliseconds. */
const healthFields = {
  /** A duration, or `off` (0): the scheduled check that the provider still answers (getStateInstance, getMe). */
  canary: durationOrOff.default(DEFAULT_CANARY_MS),
  /** Webhook mode: the longest silence before the channel is degraded; the canary's confirmation breaks a silence. */
  maxSilence: duration.default(DEFAULT_MAX_SILENCE_MS),
};

/** Phone numbers (WhatsApp, digits with country code) or user ids (Telegram) allowed to command the network. */
const owners = z.array(z.union([z.string().min(1), positiveInt]).transform(String)).default([]);

/** Spacing of outgoing messages, so a burst never gets the number flagged as spam. */
const pace = (perChatMs: number, perInstanceMs: number) =>
  z
    .strictObject({ perChatMs: z.number().int().min(0).default(perChatMs), perInstanceMs: z.number().int().min(0).default(perInstanceMs) })
    .default({ perChatMs, perInstanceMs });

/** What every chat channel shares: who may command, what strangers hear, the owner's language. */
const chatFields = {
  owners,
  /** Sent (at most once a day per chat) to someone not on the allow-list; nothing when unset. */
  refusal: z.string().min(1).optional(),
  /** The language of the relay's own words when the owner's message does not tell (Hebrew, the seed's, by default). */
  language: z.enum(['he', 'en']).default('he'),
};

const channel = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('whatsapp'),
    apiUrl: httpUrl.default('https://api.green-api.com'),
    idInstance: z.union([z.string().regex(/^\d+$/, 'digits'), positiveInt]).transform(String),
    apiToken: z.string().min(1),
    receive: z.enum(['poll', 'webhook']).default('poll'),
    /** Long-poll wait of receiveNotification, 5 to 60 s. */
    receiveTimeoutS: z.number().int().min(5).max(60).default(20),
    webhook: z.strictObject({ host: host.default('127.0.0.1'), port, token: z.string().min(16, 'a token of at least 16 characters') }).optional(),
    pace: pace(1000, 100),
    ...chatFields,
    ...healthFields,
  }),
  z.strictObject({
    type: z.literal('telegram'),
    token: z.string().min(1),
    apiRoot: httpUrl.optional(),
    receive: z.enum(['poll', 'webhook']).default('poll'),
    /** Long-poll wait of getUpdates, 1 to 50 s. */
    receiveTimeoutS: z.number().int().min(1).max(50).default(25),
    webhook: z
      .strictObject({
        host: host.default('127.0.0.1'),
        port,
        secret: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, '16 to 256 of A-Z, a-z, 0-9, "_" and "-" (Telegram\'s rule for secret_token)'),
        /** The public https address Telegram posts to; registered with setWebhook at start when given. */
        url: httpUrl.optional(),
      })
      .optional(),
    // Telegram allows about one message a second per chat and 30 a second in all.
    pace: pace(1000, 40),
    ...chatFields,
    ...healthFields,
  }),
  z.strictObject({ type: z.literal('terminal'), language: z.enum(['he', 'en']).default('he'), pace: pace(0, 0) }),
]);

const schedule = z
  .strictObject({
    name,
    /** Cron expression (5 fields, or 6 with seconds first). */
    cron: z.string().min(1),
    /** IANA time zone, e.g. Asia/Jerusalem. Default: the machine's. */
    timezone: z.string().optional(),
    /** The task kind it enqueues. */
    task: z.enum(TASK_KINDS),
    /** An object here; what each kind needs in it is the kind's own rule (src/tasks), given to the loader as a `ConfigRule`. */
    payload: z.record(z.string(), z.unknown()).optional(),
    /**
     * After missed slots (the agent down, the network paused, the machine asleep, the clock
     * jumped): run the latest of them once, as soon as it is noticed. Either way they are recorded
     * and the owner is told once.
     */
    catchUp: z.boolean().default(false),
    /** How late a slot may still start (ms, at least 1000): one found later than this is a missed run. */
    graceMs: z.number().int().min(1000).default(60_000),
  })
  .superRefine((s, ctx) => {
    if (s.timezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: s.timezone });
      } catch {
        ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${s.timezone}" (an IANA name such as Europe/London)` });
        return;
      }
    }
    try {
      new Cron(s.cron, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) });
    } catch (err) {
      const why = (err as Error).message.replace(/^CronPattern: /, '').replace(/\.$/, '');
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `"${s.cron}" is not a cron expression (${why}); write 5 fields, minute hour day month weekday, e.g. "*/5 * * * *" for every 5 minutes` });
    }
  });

/** Where a task's report goes: the owner (through the relay) and/or the orchestrator. */
const notify = z.array(z.enum(['owner', 'orchestrator']));

/** A deployment the autonomous agent may run: the config is its allow-list. Run without a shell. */
const deployment = z.strictObject({
  command: z.array(z.string().min(1)).min(1, 'the command and its arguments, e.g. ["./deploy.sh", "production"]'),
  /** Relative to the config file. */
  cwd: z.string().min(1).optional(),
  /** Added to a minimal environment (PATH, HOME, LANG); the agent's secrets are not passed on. */
  env: z.record(z.string(), z.string()).default({}),
  timeoutMs: positiveInt.default(600_000),
  notify: notify.default(['owner']),
});

/** A git repository the autonomous agent reviews: the diff since the last reviewed commit. */
const review = z.strictObject({
  /** Path of the working copy, relative to the config file. */
  repo: z.string().min(1),
  /** The branch or ref to review. */
  ref: z.string().min(1).default('HEAD'),
  /** A longer diff is cut here (the model sees that it was cut). */
  maxDiffBytes: positiveInt.default(60_000),
  notify: notify.default(['orchestrator']),
});

/** How long the owner has to answer an approval request, unless the policy says (10 minutes). */
export const DEFAULT_APPROVAL_TTL_MS = 10 * 60_000;

/** A host an approval policy names: exact, or `*.example.com` for its subdomains (like http_get's allow-list). */
const hostPattern = z.string().refine((h) => isHostName(h.startsWith('*.') ? h.slice(2) : h), `${HOST_EXPECTED}, or *.example.com for its subdomains`);

/**
 * Which actions of this agent wait for the owner's yes (src/agent/approvals.ts decides). A name
 * is matched exactly, "*" matches every deployment, tool or task; a command matches by argv prefix.
 */
const approve = z
  .strictObject({
    /** Deployments, by name. */
    deploy: z.array(z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/, 'a deployment\'s name, or "*" for every one')).default([]),
    /** run_command argv prefixes, e.g. [[systemctl, restart]]. */
    run_command: z.array(z.array(z.string().min(1)).min(1, 'a command and maybe its first arguments, e.g. [systemctl, restart]')).default([]),
    /** http_get hosts. */
    http_get: z.array(hostPattern).default([]),
    /** Model or MCP tools, by name. */
    tools: z.array(z.string().min(1)).default([]),
    /** Task kinds. */
    tasks: z.array(z.enum(['*', ...TASK_KINDS])).default([]),
    /** How long a request for approval waits for the answer: 10m by default. */
    ttl: duration.default(DEFAULT_APPROVAL_TTL_MS),
  })
  .transform(({ ttl, ...rest }) => ({ ...rest, ttlMs: ttl }));

const agent = z.strictObject({
  role: z.enum(ROLES),
  model: model.default({ provider: 'offline' }),
  /** System prompt file, relative to the config file. Default prompts/<agent>.md. */
  prompt: z.string().min(1).optional(),
  channel: channel.optional(),
  tools: z.array(tool).default([]),
  schedules: z.array(schedule).default([]),
  /** Autonomous agents: how tasks are worked. */
  worker: z
    .strictObject({
      concurrency: positiveInt.max(32).default(1),
      /** A task not heart-beaten for this long is reclaimed by another worker. */
      leaseMs: z.number().int().min(1000).default(60_000),
      /** How often an idle worker looks for work. */
      pollMs: positiveInt.default(1000),
    })
    .default({ concurrency: 1, leaseMs: 60_000, pollMs: 1000 }),
  /** Relay agents: when to acknowledge, and the watch on the autonomous agents' health. */
  relay: z
    .strictObject({
      /** A model answer slower than this gets a short acknowledgement first. */
      ackAfterMs: z.number().int().min(0).default(2000),
      /** How often the autonomous agents' /health is checked (0: not at all). */
      watchMs: z.number().int().min(0).default(60_000),
      /** A failed check is confirmed this much later before the owner is alerted. */
      confirmMs: z.number().int().min(0).default(10_000),
      /** Longest wait between two tries of a reply while the provider is down. */
      maxBackoffMs: z.number().int().min(100).default(60_000),
    })
    .default({ ackAfterMs: 2000, watchMs: 60_000, confirmMs: 10_000, maxBackoffMs: 60_000 }),
  deployments: z.record(name, deployment).default({}),
  reviews: z.record(name, review).default({}),
  /** Actions that run only after the owner's yes (see the README's Approvals). */
  approve: approve.optional(),
  health: z.strictObject({ host: host.default('127.0.0.1'), port }),
  budget: z
    .strictObject({ tokensPerDay: positiveInt.optional(), costPerDayUsd: z.number().positive().optional() })
    .optional(),
  /** The machine (hostname) that runs this agent; `agentnet up` starts the agents for its host. Default: any. */
  host: z.string().min(1).optional(),
});

/** A PostgreSQL connection URL; TLS through its parameters (sslmode=require|verify-full, sslrootcert=...). */
const pgUrl = z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres://user:password@host:port/database URL');
/** The schema holding one network's tables, so several networks can share a database. */
const pgSchema = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_", starting with a letter or "_"');

const bridge = z.strictObject({
  /** Default: jsonl, or postgres when the store is PostgreSQL. */
  backend: z.enum(['jsonl', 'postgres']).optional(),
  /** jsonl: default <stateDir>/bridge/messages.jsonl; relative paths are relative to the config file. */
  path: z.string().min(1).optional(),
  /** postgres: default the store's URL and schema. */
  url: pgUrl.optional(),
  schema: pgSchema.optional(),
  fsync: z.boolean().default(false),
  watch: z.boolean().default(true),
  pollIntervalMs: positiveInt.default(1000),
  rotate: z.strictObject({ olderThanDays: positiveInt.default(30) }).default({ olderThanDays: 30 }),
});

/** `store: postgres://...` is short for { backend: postgres, url: ... }. */
const store = z.preprocess(
  (v) => (typeof v === 'string' ? { backend: 'postgres', url: v } : v),
  z
    .strictObject({
      backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
      /** sqlite: default <stateDir>/store.db. */
      path: z.string().min(1).optional(),
      url: pgUrl.optional(),
      /** postgres: default agentnet. */
      schema: pgSchema.optional(),
    })
    .superRefine((st, ctx) => {
      if (st.backend === 'postgres' && !st.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'the postgres store needs url: postgres://user:password@host:port/database' });
      if (st.backend === 'sqlite' && (st.url || st.schema)) ctx.addIssue({ code: 'custom', path: [st.url ? 'url' : 'schema'], message: 'url and schema are for backend: postgres (or write store: postgres://...)' });
    }),
);

/** The live dashboard (`agentnet dashboard`, and `agentnet up`). */
const dashboard = z.strictObject({
  host: host.default('127.0.0.1'),
  port: port.default(7700),
  /** Required from browsers whenever host is not loopback; generated and printed when unset. */
  token: z.string().min(16, 'a token of at least 16 characters').optional(),
  /** `up` serves it unless false. */
  enabled: z.boolean().default(true),
});

/** Traces (README "Traces"): hops recorded in the store unless `record` is false; also exported to an OpenTelemetry collector when `otlp` is set. */
const traces = z.strictObject({
  /** false: no hops are written (trace ids still travel with the messages). */
  record: z.boolean().default(true),
  otlp: z
    .strictObject({
      /** The collector's OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces (JSON bodies). */
      url: httpUrl,
      /** Sent with each export, e.g. an Authorization header (use ${VAR} for a secret). */
      headers: z.record(z.string().min(1), z.string()).optional(),
    })
    .optional(),
});

export const configSchema = z
  .strictObject({
    network: name,
    /** Where agentnet keeps its state (bridge, store, logs, PAUSE). Relative to the config file. */
    stateDir: z.string().min(1).default('.agentnet'),
    bridge: bridge.default({ fsync: false, watch: true, pollIntervalMs: 1000, rotate: { olderThanDays: 30 } }),
    store: store.default({ backend: 'sqlite' }),
    dashboard: dashboard.default({ host: '127.0.0.1', port: 7700, enabled: true }),
    traces: traces.default({ record: true }),
    agents: z.record(name, agent).refine((a) => Object.keys(a).length > 0, 'at least one agent'),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.bridge.backend === 'postgres' && !cfg.bridge.url && cfg.store.backend !== 'postgres') {
      ctx.addIssue({ code: 'custom', path: ['bridge', 'url'], message: 'a postgres bridge needs url: postgres://... (or a postgres store, whose URL it then shares)' });
    }
    const used = new Map<string, string>();
    for (const [agentName, a] of Object.entries(cfg.agents)) {
      const key = `${a.host ?? '*'}:${a.health.port}`;
      const other = used.get(key);
      if (other) {
        ctx.addIssue({
          code: 'custom',
          path: ['agents', agentName, 'health', 'port'],
          message: `port ${a.health.port} is already the health port of agent "${other}"; give each agent its own`,
        });
      }
      used.set(key, agentName);
      const ch = a.channel;
      if (ch && ch.type !== 'terminal' && ch.receive === 'webhook' && !ch.webhook) {
        ctx.addIssue({ code: 'custom', path: ['agents', agentName, 'channel', 'webhook'], message: `receive: webhook needs webhook: { host, port, ${ch.type === 'whatsapp' ? 'token' : 'secret'} } (where the provider posts to)` });
      }
      if (a.model.provider === 'claude-code' && a.role !== 'orchestrator') {
        ctx.addIssue({ code: 'custom', path: ['agents', agentName, 'model'], message: `claude-code answers the orchestrator's requests with a headless Claude Code; ${agentName} is the ${a.role}: use offline, anthropic:<model> or openai:<model>` });
      }
      if (ch && a.role !== 'relay') {
        ctx.addIssue({ code: 'custom', path: ['agents', agentName, 'channel'], message: `only a relay has a chat channel; ${agentName} is the ${a.role}` });
      }
    }
  });

export type ParsedConfig = z.output<typeof configSchema>;
export type AgentConfig = ParsedConfig['agents'][string];
export type ModelConfig = AgentConfig['model'];
export type ChannelConfig = NonNullable<AgentConfig['channel']>;
export type ApprovalPolicy = NonNullable<AgentConfig['approve']>;
