// The checks a log passes on opening before it serves or signs anything: its entries, its
// newest checkpoint and a torn checkpoint line must still agree, or the log is refused.

import { toHex } from '../receipt/hash.js';
import type { Checkpoint, TornCheckpoint } from './checkpoint.js';
import type { DecisionIndex } from './decision-index.js';
import type { AuditLogOptions } from './log-types.js';
import type { MerkleTree } from './merkle-tree.js';
import { AuditStoreError } from './store.js';

/** What the opening checks read of a log being opened; `count` and `tree` once its entries are loaded. */
export interface OpeningLog {
  readonly tenant: string;
  readonly count: number;
  readonly tree: Pick<MerkleTree, 'root'>;
  readonly ids: Pick<DecisionIndex, 'known' | 'get'>;
}

/**
 * The newest kept checkpoint: the largest, and the last of equal sizes (the one kept again
 * under this server's key after a rotation).
 */
export function newestOf(checkpoints: readonly Checkpoint[]): Checkpoint | undefined {
  let newest: Checkpoint | undefined;
  for (const cp of checkpoints) if (newest === undefined || cp.tree_size >= newest.tree_size) newest = cp;
  return newest;
}

/** The largest kept checkpoint `trusted` vouches for, the last of equal sizes first (as newestOf). */
export async function trustedCheckpoint(checkpoints: readonly Checkpoint[], trusted: (cp: Checkpoint) => Promise<boolean>): Promise<Checkpoint | undefined> {
  const bySize = [...checkpoints].reverse().sort((a, b) => b.tree_size - a.tree_size);
  for (const cp of bySize) if (await trusted(cp)) return cp;
  return undefined;
}

/**
 * An entry no checkpoint covers yet is held to what an append would have accepted: its id
 * not already logged, and (with `check`) the checks of `mge audit verify`. Otherwise a line
 * added to the file while the server was down (a copied decision, another tenant's, one
 * edited after signing) would be served in proofs and signed into the next checkpoint.
 */
export async function checkUncovered(log: Pick<OpeningLog, 'tenant' | 'ids'>, line: string, index: number, id: string | undefined, check: AuditLogOptions['checkUncovered']): Promise<void> {
  const where = `tenant \`${log.tenant}\`: stored entry ${index + 1} (after the latest checkpoint this server can verify)`;
  if (id !== undefined) {
    const known = log.ids.known(id);
    const earlier = known === false ? undefined : await log.ids.get(id);
    if (known === true || earlier !== undefined) {
      throw new AuditStoreError(`${where} repeats decision \`${id}\`${earlier !== undefined ? ` of entry ${earlier + 1}` : ''}: the log was changed (\`mge audit verify\` tells more)`);
    }
  }
  const problem = await check?.(line, log.tenant, index);
  if (problem !== undefined) throw new AuditStoreError(`${where}: ${problem}; the log is not opened (\`mge audit verify\` tells more)`);
}

/**
 * The newest kept checkpoint must still describe the log: every entry it covers present, and
 * their root its root. One root, so opening stays cheap; the newest root commits to every
 * entry before it. A mismatch refuses the log (fail closed), as a damaged line does;
 * `mge audit verify` then names the checkpoints that fail. Its signature is checked by `check` (the log
 * does not hold the keys; `mge serve` passes them).
 */
export async function matchLatestCheckpoint(log: OpeningLog, latest: Checkpoint | undefined, checkpoints: readonly Checkpoint[], check: AuditLogOptions['checkCheckpoint']): Promise<void> {
  if (latest === undefined) return;
  const where = `tenant \`${log.tenant}\``;
  const problem = await check?.(latest, checkpoints);
  if (problem !== undefined) throw new AuditStoreError(`${where}: its latest checkpoint (tree size ${latest.tree_size}) ${problem}; the log is not opened (\`mge audit verify\` tells more)`);
  if (latest.tree_size === 0) return;
  if (latest.tree_size > log.count) {
    throw new AuditStoreError(`${where}: the log holds ${log.count} entries but its latest checkpoint covers ${latest.tree_size}: entries were lost or removed; put back a log that holds them (a backup taken with the checkpoints), or move the tenant's audit folder aside to begin a new log (docs/trust.md) (\`mge audit verify\` tells more)`);
  }
  await matchRoot(log, latest, 'the latest checkpoint');
}

/** Refuses the log unless its first `cp.tree_size` entries hash to `cp`'s root. */
export async function matchRoot(log: OpeningLog, cp: Checkpoint, which: string): Promise<void> {
  if (cp.tree_size === 0 || cp.tree_size > log.count) return; // the latest's own checks say more
  if (toHex(await log.tree.root(cp.tree_size)) !== cp.root_hash) {
    throw new AuditStoreError(`tenant \`${log.tenant}\`: the first ${cp.tree_size} entries no longer hash to the root of ${which}: the log was changed (\`mge audit verify\` names the checkpoints it no longer matches)`);
  }
}

/**
 * A torn last checkpoint line (a crash while it was written) is debris, cut at the next
 * checkpoint; but a size and root it still shows are the signer's word on the log, so a log
 * that no longer matches them is refused, as under a whole checkpoint.
 */
export async function matchTornCheckpoint(log: OpeningLog, torn: TornCheckpoint): Promise<void> {
  if (torn.tree_size === undefined) return; // its size alone can show entries gone, as `mge audit verify` reads it
  const where = `tenant \`${log.tenant}\`: the checkpoints file ends in a torn line (tree size ${torn.tree_size})`;
  if (torn.tree_size > log.count) {
    throw new AuditStoreError(`${where}, but the log holds only ${log.count} entries: entries were lost or removed; the log is not opened (\`mge audit verify\` tells more)`);
  }
  if (torn.root_hash !== undefined && toHex(await log.tree.root(torn.tree_size)) !== torn.root_hash) {
    throw new AuditStoreError(`${where} whose root the first ${torn.tree_size} entries no longer hash to: the log was changed; the log is not opened (\`mge audit verify\` tells more)`);
  }
}
