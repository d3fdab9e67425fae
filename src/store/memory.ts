/** The shared Memory contract: namespaced JSON values one agent leaves for another. */

export interface MemoryEntry {
  namespace: string;
  key: string;
  value: unknown;
  /** Starts at 1; every write adds one. Compare-and-set uses it. */
  version: number;
  writtenBy: string;
  writtenAt: string;
  expiresAt?: string;
}

export interface MemoryWrite {
  /** The agent (or person) writing: recorded with the value. */
  by: string;
  /** Forget the value after this long. */
  ttlMs?: number;
  /** Compare-and-set: write only if the current version is this (0 = only if absent). */
  ifVersion?: number;
}

export interface MemoryHistoryEntry {
  value: unknown;
  version: number;
  writtenBy: string;
  writtenAt: string;
  deleted: boolean;
}

export interface Memory {
  get(namespace: string, key: string): Promise<MemoryEntry | undefined>;
  /** Writes; with `ifVersion` throws MEMORY_CONFLICT when someone else wrote first. */
  set(namespace: string, key: string, value: unknown, write: MemoryWrite): Promise<MemoryEntry>;
  /** Removes; false when there was nothing. */
  delete(namespace: string, key: string, write: Omit<MemoryWrite, 'ttlMs'>): Promise<boolean>;
  /** Live entries whose key starts with `prefix`, by key. */
  list(namespace: string, options?: { prefix?: string; limit?: number }): Promise<MemoryEntry[]>;
  /** The last writes of a key, newest first (10 are kept). */
  history(namespace: string, key: string): Promise<MemoryHistoryEntry[]>;
}

export const MEMORY_HISTORY = 10;
