/**
 * Which Claude Code session each conversation (an owner's chat) continues: a small JSON file in
 * the agent's state directory, so a restart keeps the conversations. A session idle for longer
 * than the limit is not resumed: the next message starts afresh.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface Entry {
  id: string;
  lastUsed: string;
}

export class ClaudeSessions {
  readonly #file: string;
  readonly #idleMs: number;
  #entries: Record<string, Entry>;

  constructor(file: string, idleMs: number) {
    this.#file = file;
    this.#idleMs = idleMs;
    try {
      this.#entries = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>;
    } catch {
      this.#entries = {}; // first run, or a damaged file: conversations start afresh
    }
  }

  /** The session to resume for this conversation, if one was used recently enough. */
  get(conversation: string, now = Date.now()): string | undefined {
    const e = this.#entries[conversation];
    return e && now - Date.parse(e.lastUsed) < this.#idleMs ? e.id : undefined;
  }

  set(conversation: string, id: string, now = Date.now()): void {
    this.#entries[conversation] = { id, lastUsed: new Date(now).toISOString() };
    // Drop what can no longer be resumed, so the file stays small.
    for (const [k, e] of Object.entries(this.#entries)) if (now - Date.parse(e.lastUsed) >= this.#idleMs) delete this.#entries[k];
    this.#save();
  }

  forget(conversation: string): void {
    if (!(conversation in this.#entries)) return;
    delete this.#entries[conversation];
    this.#save();
  }

  #save(): void {
    mkdirSync(dirname(this.#file), { recursive: true });
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(this.#entries, null, 2) + '\n', { mode: 0o600 });
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
