/** Back-off with jitter for a channel's polling after errors: 1 s doubling to 30 s. */
import { setTimeout as sleep } from 'node:timers/promises';

export const backoffMs = (failures: number, maxMs = 30_000) => Math.min(maxMs, 1000 * 2 ** Math.max(0, failures - 1)) * (0.5 + Math.random() / 2);

/** Sleeps; resolves false (instead of throwing) when `signal` aborted, the only way the sleep fails. */
export const pause = (ms: number, signal: AbortSignal) => sleep(ms, true, { signal }).catch(() => false);
