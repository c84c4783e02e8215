// Checks a whole log (SPEC §6, `mge audit verify`): every entry is canonical JSON with a valid
// receipt, no decision appears twice, the tree is rebuilt, and every checkpoint is signed and
// matches the log's prefix of its size. A changed entry breaks its receipt; a removed,
// reordered or inserted one breaks the root a checkpoint signed.

import type { Json } from '../ir/types.js';
import { parseStrictJson } from '../json/strict-parse.js';
import { webCryptoBackend, type CryptoBackend } from '../receipt/backend.js';
import { computeDecisionHash } from '../receipt/decision-hash.js';
import { fromHex, toHex } from '../receipt/hash.js';
import { canonicalize } from '../receipt/jcs.js';
import type { KeyRing } from '../receipt/keys.js';
import { verifySignedObject } from '../receipt/signed-object.js';
import { isCheckpoint, notACheckpoint, verifyCheckpointSignature, type TornCheckpoint } from './checkpoint.js';
import { verifyConsistency } from './merkle.js';
import { MerkleTree } from './merkle-tree.js';
import { asObject } from '../json/is-object.js';
import { ruleChangeProblem } from './rule-change.js';

export interface LogReport {
  ok: boolean;
  size: number;
  root_hash: string;
  checkpoints: number;
  /**
   * The largest tree_size a checkpoint vouched for (signature valid, consistent with the log);
   * 0 when none did. Entries past it could be removed or reordered without a trace.
   */
  anchoredSize: number;
  /**
   * The same, of the checkpoints saved elsewhere (`saved`) only, and of those kept beside the
   * log (`checkpoints`) only; -1 when none verified (0 is an empty log's checkpoint).
   */
  savedAnchoredSize: number;
  keptAnchoredSize: number;
  /** One line per problem, naming the entry or checkpoint (1-based positions, as in the file). */
  problems: string[];
  /** The tenant the log was checked as (given, or its first decision's); undefined for a log with none. */
  tenant?: string;
  /**
   * What verifies but an auditor should look at, named like problems: a key signing again
   * after another took over (a switch back to an earlier key, or a forgery with a retired one).
   */
  warnings: string[];
}

export interface VerifyLogInput {
  /**
   * The tenant the log belongs to, when known (a store); entries and checkpoints must agree.
   * Unknown (an export), it is the first decision's: a log never holds two tenants' decisions.
   */
  tenant?: string;
  /**
   * The log's lines. A line given as bytes (one that is not valid UTF-8, as read from a file) is
   * hashed as it is and reported: text decoded with U+FFFD in its place would re-encode to other
   * bytes, or, where the entry held a U+FFFD, to the same ones, hiding the change.
   */
  lines: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;
  /** Checkpoints kept with the log, in the order kept (each at least as large as the one before); unknown shapes are reported. */
  checkpoints: unknown[];
  /** Checkpoints the caller saved elsewhere: each checked on its own, at any size. */
  saved?: unknown[];
  /** The kept checkpoints file's torn last line: the size and root it still shows must match the log. */
  torn?: TornCheckpoint;
  keys: KeyRing;
  backend?: CryptoBackend;
}

// An entry is a whole decision, possibly larger than a request body; no structural limits.
const WIDE = { maxBytes: 1 << 30, maxDepth: 256, maxStringBytes: 1 << 30, maxArrayItems: 1 << 30 };
const encoder = new TextEncoder();

/** How the verifier words a receipt signed by a key it was not given. */
const unknownKeyProblem = (kid: string): string => `receipt key \`${kid}\` is unknown (give its key with --jwks, MGE_SECRET_KEY or MGE_PREVIOUS_SECRET_KEYS)`;

async function checkEntry(e: { [k: string]: Json }, keys: KeyRing, backend: CryptoBackend, tenant: string | undefined, onUnknownKey = unknownKeyProblem): Promise<string | undefined> {
  if (e.kind === 'rule_change') return ruleChangeProblem(e);
  if (typeof e.decision_id !== 'string') return 'entry is neither a decision nor a rule change';
  if (tenant !== undefined && e.tenant !== tenant) return `decision of tenant \`${String(e.tenant)}\` in the log of tenant \`${tenant}\``;
  // Not covered by decision_hash (SPEC §4), so only this catches one written in after the fact.
  if ('explanation' in e) return 'decision carries an `explanation`, which is never logged (it is not signed, so it was added to the entry)';
  const receipt = asObject(e.receipt ?? null);
  if (receipt === undefined) return 'decision has no receipt';
  const sig = await verifySignedObject(receipt, keys, backend);
  if (sig === 'unknown_kid') return onUnknownKey(String(receipt.kid));
  if (sig !== 'ok') return sig === 'malformed' ? 'receipt is malformed' : 'receipt signature does not verify';
  if ((await computeDecisionHash(e, backend)) !== receipt.decision_hash) return 'decision was changed after signing (decision_hash does not match)';
  return undefined;
}

/**
 * What is wrong with one stored entry, checked alone as `verifyLog` checks it (strict,
 * canonical JSON; a decision of this tenant with a valid receipt; a rule change with exactly
 * its fields), or undefined. Duplicate ids and the tree are the caller's to check.
 * `onUnknownKey` words the problem of a receipt signed by a key not in `keys` for its caller.
 */
export async function storedEntryProblem(line: string, keys: KeyRing, backend: CryptoBackend, tenant: string, onUnknownKey?: (kid: string) => string): Promise<string | undefined> {
  const { entry, problem } = readEntry(line);
  if (problem !== undefined || entry === undefined) return problem;
  return checkEntry(entry, keys, backend, tenant, onUnknownKey);
}

/**
 * A stored line read as an entry: strict JSON, an object, canonical. A line that is no object
 * has a problem and no entry; a non-canonical one has both (its content can still be checked).
 */
function readEntry(line: string): { entry?: { [k: string]: Json }; problem?: string } {
  let value: Json;
  try {
    value = parseStrictJson(line, WIDE);
  } catch (err) {
    return { problem: `not strict JSON: ${(err as Error).message}` };
  }
  const entry = asObject(value);
  if (entry === undefined) return { problem: 'not a JSON object' };
  return canonicalize(entry) === line ? { entry } : { entry, problem: 'not in canonical form (RFC 8785)' };
}

/**
 * The order keys sign a log in. Keys move forward in a rotation: once a key has taken over
 * from another, the older one signing again (an entry, or a checkpoint covering entries past
 * the hand-over) is a forgery with a retired key, which its signature alone cannot show (a
 * rotated-out key re-signed a flipped decision and a checkpoint
 * over it, and the log verified), or a server started with its old key again, which is
 * allowed (HS256 to Ed25519 and back reuses the secret). So it is a warning, not a failure.
 */
class KeyOrder {
  private current?: string;
  /** Each retired key: the entry at which its successor first signed, and the successor. */
  private readonly retired = new Map<string, { at: number; by: string }>();

  /** Notes entry `at`'s receipt key; a warning when that key was retired earlier in the log. */
  entry(kid: string, at: number): string | undefined {
    const gone = this.retired.get(kid);
    // The current key stays current: one forged entry is named once, not every later entry.
    if (gone !== undefined) return `receipt key \`${kid}\` signs again after key \`${gone.by}\` took over from it at entry ${gone.at}: ${KEY_RETURNED}`;
    if (this.current !== undefined && this.current !== kid) this.retired.set(this.current, { at, by: kid });
    this.current = kid;
    return undefined;
  }

  /** A warning when a checkpoint of `size` entries is signed by a key retired at or before them. */
  checkpoint(kid: string, size: number): string | undefined {
    const gone = this.retired.get(kid);
    if (gone === undefined || size < gone.at) return undefined;
    return `signed with key \`${kid}\`, which key \`${gone.by}\` took over from at entry ${gone.at}: ${KEY_RETURNED}`;
  }
}

/**
 * Two histories under one key: a fork, unless the key signs another log too (checkpoints name
 * no instance: replicas given one key each sign their own log; a re-review, 11-29).
 */
const TWO_HISTORIES = 'one key signed two different histories: this log shown two ways (a fork), or the log of another instance given the same key; keep both checkpoints as evidence';

const KEY_RETURNED = 'a server started with its earlier key again, or a forgery with a retired key (check with a checkpoint kept outside the data dir)';

/**
 * A copy of `s` that does not keep the line it came from alive: a parsed string may be a view
 * into its line, so keeping the id would keep the whole line (a kilobyte per entry).
 */
function own(s: string): string {
  return (' ' + s).slice(1);
}

export async function verifyLog(input: VerifyLogInput): Promise<LogReport> {
  const backend = input.backend ?? webCryptoBackend;
  const problems: string[] = [];
  const tree = new MerkleTree(backend.sha256);
  const seen = new Map<string, number>();
  const keyOrder = new KeyOrder();
  const warnings: string[] = [];
  let tenant = input.tenant;
  let n = 0;
  for await (const line of input.lines) {
    const at = ++n;
    if (typeof line !== 'string') {
      void tree.appendEntry(line.slice());
      problems.push(`entry ${at}: not valid UTF-8, so not the text that was logged: its bytes were changed or damaged after it was written`);
      continue;
    }
    void tree.appendEntry(encoder.encode(line));
    const { entry: e, problem: unread } = readEntry(line);
    if (unread !== undefined) problems.push(`entry ${at}: ${unread}`);
    if (e === undefined) continue;
    const id = typeof e.decision_id === 'string' ? e.decision_id : undefined;
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) problems.push(`entry ${at}: decision \`${id}\` is also entry ${first} (inserted or duplicated entry)`);
      else seen.set(own(id), at);
    }
    if (tenant === undefined && id !== undefined && typeof e.tenant === 'string') tenant = own(e.tenant);
    const problem = await checkEntry(e, input.keys, backend, tenant);
    if (problem !== undefined) problems.push(`entry ${at}: ${problem}`);
    const returned = problem === undefined && id !== undefined ? keyOrder.entry(own(String(asObject(e.receipt!)!.kid)), at) : undefined;
    if (returned !== undefined) warnings.push(`entry ${at}: ${returned}`);
  }
  await tree.settled();
  const root = await tree.root(n);

  let prevSize = 0;
  let savedAnchoredSize = -1;
  let keptAnchoredSize = -1;
  // The first checkpoint signed (validly) for each tenant and tree size: a second with another
  // root is the key vouching for two different logs, proof on its own, whichever log is checked.
  const signedFor = new Map<string, { root: string; label: string }>();
  // Validly signed checkpoints of the log's tenant, and whether each matched the log's prefix.
  const judged: Array<{ label: string; size: number; matched: boolean; forked: boolean }> = [];
  const all = [
    ...input.checkpoints.map((cp, i) => ({ cp, name: `checkpoint ${i + 1}`, kept: true })),
    ...(input.saved ?? []).map((cp, i) => ({ cp, name: `saved checkpoint ${i + 1}`, kept: false })),
  ];
  for (const { cp, name, kept } of all) {
    if (!isCheckpoint(cp)) {
      problems.push(`${name}: ${notACheckpoint(cp)}`);
      continue;
    }
    const label = `${name} (tree_size ${cp.tree_size})`;
    const before = problems.length;
    if (tenant !== undefined && cp.tenant !== tenant) problems.push(`${label}: of tenant \`${cp.tenant}\`, not \`${tenant}\``);
    const sig = await verifyCheckpointSignature(cp, input.keys, backend);
    if (sig !== 'ok') problems.push(`${label}: ${sig === 'unknown_kid' ? `key \`${cp.kid}\` is unknown` : 'signature does not verify'}`);
    const retired = sig === 'ok' ? keyOrder.checkpoint(cp.kid, cp.tree_size) : undefined;
    if (retired !== undefined) warnings.push(`${label}: ${retired}`);
    const ours = sig === 'ok' && (tenant === undefined || cp.tenant === tenant);
    const sameSize = `${cp.tenant}\0${cp.tree_size}`;
    const first = ours ? signedFor.get(sameSize) : undefined;
    if (ours && first === undefined) signedFor.set(sameSize, { root: cp.root_hash, label });
    const forked = first !== undefined && first.root !== cp.root_hash;
    if (forked) problems.push(`${label}: signed with another root than ${first.label}, for the same size: ${TWO_HISTORIES}`);
    if (kept) {
      // Kept checkpoints are appended as the log grows: a smaller one after a larger one is a rollback.
      // Or an older line copied after a newer one ("the log shrank" would mislead there).
      if (cp.tree_size < prevSize) problems.push(`${label}: smaller than an earlier checkpoint (${prevSize}): kept checkpoints only grow, so the checkpoints file was changed (a line copied or moved) or the log rolled back`);
      prevSize = Math.max(prevSize, cp.tree_size);
    }
    if (cp.tree_size > n) {
      // A saved checkpoint may simply be newer than the copy of the log (an export fetched
      // before it, while checks went on): said, rather than tampering alone.
      const newer = kept ? '' : ', or the checkpoint was taken after this copy of the log (fetch the checkpoint first, then the export)';
      problems.push(`${label}: covers ${cp.tree_size} entries but the log has only ${n}: entries were removed or the log was truncated${newer}`);
      continue;
    }
    if (cp.tree_size === 0) {
      if (cp.root_hash !== toHex(await tree.root(0))) problems.push(`${label}: root_hash is not the empty tree's root`);
    } else {
      const proof = await tree.consistencyProof(cp.tree_size, n);
      const grew = await verifyConsistency(backend.sha256, cp.tree_size, n, fromHex(cp.root_hash), root, proof);
      if (!grew) {
        problems.push(`${label}: root_hash does not match the log's first ${cp.tree_size} entries: an entry was changed, removed, reordered or inserted`);
      }
      if (ours) judged.push({ label, size: cp.tree_size, matched: grew, forked });
    }
    // An empty log's checkpoint anchors it too (of size 0): a history wiped whole and signed
    // again by the server is anchored by the data directory's own checkpoint only.
    if (problems.length === before) {
      if (kept) keptAnchoredSize = Math.max(keptAnchoredSize, cp.tree_size);
      else savedAnchoredSize = Math.max(savedAnchoredSize, cp.tree_size);
    }
  }
  // A checkpoint the log does not match, beside one at least as large that it does match, both
  // validly signed: the key vouched for two histories, the log being the later one's (auditors
  // who fetched at different times hold different sizes; a re-review, 11-29).
  for (const j of judged) {
    const later = j.matched || j.forked ? undefined : judged.find((m) => m.matched && m.size >= j.size);
    if (later !== undefined) problems.push(`${j.label}: signed with a root this log does not have, while ${later.label}, also signed, vouches for this log: ${TWO_HISTORIES}`);
  }
  const torn = input.torn;
  // Its size alone shows entries gone (a review, 11-29: with the root cut off, it was not looked at).
  if (torn?.tree_size !== undefined) {
    const label = `the checkpoints file's torn last line (tree_size ${torn.tree_size})`;
    if (torn.tree_size > n) problems.push(`${label}: covers ${torn.tree_size} entries but the log has only ${n}: entries were removed or the log was truncated`);
    else if (torn.root_hash !== undefined && toHex(await tree.root(torn.tree_size)) !== torn.root_hash) problems.push(`${label}: root_hash does not match the log's first ${torn.tree_size} entries: an entry was changed, removed, reordered or inserted`);
  }
  return { ok: problems.length === 0, size: n, root_hash: toHex(root), checkpoints: all.length, anchoredSize: Math.max(0, keptAnchoredSize, savedAnchoredSize), savedAnchoredSize, keptAnchoredSize, problems, warnings, ...(tenant !== undefined ? { tenant } : {}) };
}
