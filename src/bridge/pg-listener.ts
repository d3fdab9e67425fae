/**
 * The PostgreSQL bridge's wake-up hints: one dedicated connection LISTENing on the bridge's
 * channel, shared by a bridge's subscriptions. A notification only wakes them; they read from
 * their cursor, so a notification missed while disconnected loses nothing. When the connection
 * drops (a server restart, a killed backend) it reconnects with back-off, then wakes everyone
 * to catch up on what was appended meanwhile.
 */
import pg from 'pg';
import type { Logger } from '../log/logger.ts';

/** The application_name of LISTEN connections, to find them in pg_stat_activity. */
export const LISTEN_APPLICATION_NAME = 'agentnet-listen';

const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export interface PgListenerOptions {
  url: string;
  channel: string;
  logger: Logger;
}

export class PgListener {
  readonly #options: PgListenerOptions;
  readonly #wakers = new Set<() => void>();
  #client: pg.Client | undefined;
  #started: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #backoffMs = BACKOFF_FIRST_MS;
  #reconnecting = false;
  #closed = false;

  constructor(options: PgListenerOptions) {
    this.#options = options;
  }

  /** Starts listening (once); resolves after the first attempt, failed or not: the poll covers a failure. */
  start(): Promise<void> {
    this.#started ??= this.#connect();
    return this.#started;
  }

  /** Calls `wake` on every notification and after every reconnection; returns how to stop. */
  add(wake: () => void): () => void {
    this.#wakers.add(wake);
    return () => void this.#wakers.delete(wake);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {}); // closing: a connection that fails to end is gone anyway
  }

  #wakeAll(): void {
    for (const wake of this.#wakers) wake();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const { url, channel, logger } = this.#options;
    const client = new pg.Client({ connectionString: url, application_name: LISTEN_APPLICATION_NAME, keepAlive: true });
    client.on('notification', () => this.#wakeAll());
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      this.#lost(client, err);
      return;
    }
    if (this.#client !== client) return; // closed, or lost already
    if (this.#reconnecting) logger.info({ channel }, 'listening for bridge notifications again');
    this.#reconnecting = false;
    this.#backoffMs = BACKOFF_FIRST_MS;
    this.#wakeAll();
  }

  #lost(client: pg.Client, err?: unknown): void {
    if (this.#client !== client) return; // each lost connection is handled once
    this.#client = undefined;
    void client.end().catch(() => {}); // lost already (its error is handled below); ending it only frees it
    if (this.#closed) return;
    const retryInMs = this.#backoffMs;
    this.#options.logger.warn(
      { channel: this.#options.channel, error: err instanceof Error ? err.message : 'connection ended', retryInMs },
      'lost the PostgreSQL LISTEN connection; reconnecting (subscribers poll meanwhile)',
    );
    this.#reconnecting = true;
    this.#backoffMs = Math.min(retryInMs * 2, BACKOFF_MAX_MS);
    this.#retry = setTimeout(() => void this.#connect(), retryInMs);
  }
}
