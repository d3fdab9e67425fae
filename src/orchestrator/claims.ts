/**
 * Claims on bridge requests: a lease in the shared memory (compare-and-set, with a TTL), so an
 * interactive Claude Code session and the headless runner never both answer one request. A
 * claim that is not renewed lapses and the request is anyone's again.
 */
import { isAgentnetError } from '../errors.ts';
import type { Memory } from '../store/index.ts';

export const CLAIMS_NAMESPACE = 'bridge-claims';
export const DEFAULT_LEASE_MS = 10 * 60_000;

export interface Claim {
  holder: string;
  until: string;
}

export type ClaimResult = { ok: true; claim: Claim } | { ok: false; claim: Claim };

/** Takes (or, for its holder, renews) the claim on request `id`. */
export async function claimRequest(memory: Memory, id: string, holder: string, leaseMs = DEFAULT_LEASE_MS): Promise<ClaimResult> {
  for (;;) {
    const current = await memory.get(CLAIMS_NAMESPACE, id);
    const held = current?.value as Claim | undefined;
    if (held && held.holder !== holder) return { ok: false, claim: held };
    const claim: Claim = { holder, until: new Date(Date.now() + leaseMs).toISOString() };
    try {
      await memory.set(CLAIMS_NAMESPACE, id, claim, { by: holder, ttlMs: leaseMs, ifVersion: current?.version ?? 0 });
      return { ok: true, claim };
    } catch (err) {
      if (!isAgentnetError(err, 'MEMORY_CONFLICT')) throw err;
      // Someone wrote between our read and write: read again and decide again.
    }
  }
}

export async function claimOf(memory: Memory, id: string): Promise<Claim | undefined> {
  return (await memory.get(CLAIMS_NAMESPACE, id))?.value as Claim | undefined;
}

/** Drops the claim if `holder` has it (after answering, or to give the request back). */
export async function releaseClaim(memory: Memory, id: string, holder: string): Promise<boolean> {
  const current = await memory.get(CLAIMS_NAMESPACE, id);
  if ((current?.value as Claim | undefined)?.holder !== holder) return false;
  try {
    return await memory.delete(CLAIMS_NAMESPACE, id, { by: holder, ifVersion: current!.version });
  } catch (err) {
    if (isAgentnetError(err, 'MEMORY_CONFLICT')) return false;
    throw err;
  }
}
