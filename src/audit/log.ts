// One tenant's audit log (SPEC §6): entries exactly as returned (never `explanation`), an
// RFC 9162 tree over them, proofs, signed checkpoints and JSON Lines export. An append resolves
// only once the store made the entry durable, so a decision the client received is never lost.

import type { Json } from '../ir/types.js';
import { webCryptoBackend } from '../receipt/backend.js';
import { toHex } from '../receipt/hash.js';
import type { Checkpoint } from './checkpoint.js';
import { continueAfter } from '../engine/decision-id.js';
import { auditLine, canonicalDecisionId, idOfAuditLine, idOfLine } from './audit-line.js';
import { DecisionIndex } from './decision-index.js';
import { checkUncovered, matchLatestCheckpoint, matchRoot, matchTornCheckpoint, newestOf, trustedCheckpoint, type OpeningLog } from './log-opening-checks.js';
import { AuditEntryError, type AuditLogOptions, type CheckpointSigner, type ConsistencyProof, type InclusionProof, type SignedEntry } from './log-types.js';
import { leafHash, type Sha256 } from './merkle.js';
import { MerkleTree } from './merkle-tree.js';
import { AuditStoreError, type AuditStore } from './store.js';

// The log's public types and its line form, for importers of the log.
export { AuditEntryError, type AuditLogOptions, type CheckpointSigner, type ConsistencyProof, type InclusionProof, type SignedEntry } from './log-types.js';
export { auditLine } from './audit-line.js';

function duplicate(id: string): AuditEntryError {
  return new AuditEntryError(`decision \`${id}\` is already in the log`);
}

const ignore = () => undefined;
const indexed = (index: number) => ({ index });
const itself = (index: number) => index;

export class AuditLog {
  // Ids between the index's samples are read back from the store (entries already appended).
  private readonly ids = new DecisionIndex((ids, from, to) => this.findIds(ids, from, to));
  private count = 0;
  /** Entries whose appends resolved: durable, and answered. */
  private answered = 0;
  /** The latest append's durability; it rejects if the store failed (appendsDone never does). */
  private lastAppend: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private failedAtMs: number | undefined;
  /** close() was called: appends made after it are refused (a memory store took them; a file store failed on a closed handle). */
  private closed = false;
  /** The size of the newest checkpoint decided (queued to be kept), and of the newest kept. */
  private lastCheckpointSize = -1;
  private keptCheckpointSize = -1;
  /** Whether the newest kept checkpoint is under this server's key (AuditLogOptions.ownKid). */
  private newestIsOwn = true;
  /** Appends waiting for a duplicate check that reads entries back; later appends queue behind. */
  private checking: Promise<void> | undefined;
  private checkpointWrites: Promise<void> = Promise.resolve();
  private checkpointsDone: Promise<unknown> = Promise.resolve();

  private readonly tree: MerkleTree;

  private constructor(
    readonly tenant: string,
    private readonly store: AuditStore,
    private readonly sha256: Sha256,
    private readonly now: () => number,
  ) {
    // The tree forgets the lower levels of complete blocks and reads their entries back from
    // the store when a proof needs them: its memory no longer grows by 64 bytes per entry.
    this.tree = new MerkleTree(sha256, { leafHashes: (from, count) => this.leafHashes(from, count) });
  }

  /** Opens a tenant's log, rebuilding the tree and the decision index from the store. */
  static async open(tenant: string, store: AuditStore, opts: AuditLogOptions = {}): Promise<AuditLog> {
    try {
      return await AuditLog.load(tenant, store, opts);
    } catch (err) {
      // A log that does not open leaves its store closed (its file handle is not left to GC).
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  private static async load(tenant: string, store: AuditStore, opts: AuditLogOptions): Promise<AuditLog> {
    const backend = opts.backend ?? webCryptoBackend;
    const log = new AuditLog(tenant, store, backend.sha256, opts.now ?? Date.now);
    const checkpoints = await store.checkpoints();
    const newest = newestOf(checkpoints);
    log.lastCheckpointSize = newest?.tree_size ?? -1;
    log.keptCheckpointSize = log.lastCheckpointSize;
    // Another tenant's checkpoint, validly signed, vouched for a log copied from that tenant:
    // a log's checkpoints are its own tenant's, or it is not opened.
    const foreign = checkpoints.find((cp) => cp.tenant !== tenant);
    if (foreign !== undefined) throw new AuditStoreError(`tenant \`${tenant}\`: its checkpoints file holds a checkpoint of tenant \`${foreign.tenant}\`: the log was changed; it is not opened (\`mge audit verify\` tells more)`);
    const covering = opts.trusted === undefined ? newest : await trustedCheckpoint(checkpoints, opts.trusted);
    const coveredSize = covering?.tree_size ?? -1;
    // After a rotation its next checkpoint is kept even with no new entry, under its own key,
    // so the following start needs the old key no more.
    log.newestIsOwn = opts.ownKid === undefined || newest === undefined || newest.kid === opts.ownKid;
    const loading = { tenant, ids: log.ids };
    for await (const line of store.load()) {
      const index = log.count++;
      void log.tree.appendEntry(line);
      // An entry a trusted checkpoint covers is checked whole by that checkpoint's root below
      // (and the latest's, which commits to it), so only its id is read, from the decision's canonical prefix when
      // it has one (half the time of a restart went to parsing every line). Later entries are
      // parsed whole and checked one by one.
      const covered = index < coveredSize;
      const id = (covered ? canonicalDecisionId(line) : undefined) ?? idOfLine(tenant, line, index);
      if (!covered) await checkUncovered(loading, line, index, id, opts.checkUncovered);
      if (id !== undefined) log.ids.set(id, index);
    }
    await log.tree.settled();
    // New engine ids continue above the log's last one, even with the clock behind it: an id
    // below it could only be cleared as new by reading entries back, one read per append.
    if (log.ids.lastId !== undefined) continueAfter(log.ids.lastId);
    const loaded: OpeningLog = { tenant, count: log.count, tree: log.tree, ids: log.ids };
    await matchLatestCheckpoint(loaded, newest, checkpoints, opts.checkCheckpoint);
    // The checkpoint that spared its entries the one-by-one check must hold their root too when
    // it is not the latest (entries edited under it, below a latest under a made-up kid).
    if (covering !== undefined) await matchRoot(loaded, covering, 'the latest checkpoint it can verify');
    const torn = await store.tornCheckpoint?.();
    if (torn !== undefined) {
      await matchTornCheckpoint(loaded, torn);
      opts.onTornCheckpoint?.(tenant, torn);
    }
    if (opts.atLeast !== undefined && log.count < opts.atLeast) {
      throw new AuditStoreError(`tenant \`${tenant}\`: the log holds ${log.count} entries, but this server logged and answered ${opts.atLeast} before its store failed: entries were lost (a file restored from a backup, or cut short); the log is not opened`);
    }
    // Said once the log is known to open (a refused one is reported as refused, not as this).
    if (log.uncheckpointed() > 0) opts.onUncovered?.(tenant, log.count, Math.max(0, log.lastCheckpointSize));
    log.answered = log.count;
    return log;
  }

  /**
   * The first of entries [from, to), appended earlier, whose decision id is one of `ids` (for
   * the index). A decision's id is read from its canonical prefix; only another line is parsed.
   */
  private async findIds(ids: ReadonlySet<string>, from: number, to: number): Promise<{ id: string; position: number } | undefined> {
    let at = from;
    for await (const line of this.storedLines(from, to - from)) {
      const id = idOfAuditLine(line);
      if (id !== undefined && ids.has(id)) return { id, position: at };
      at++;
    }
    return undefined;
  }

  /** Leaf hashes of entries appended earlier, from their stored lines (for the tree). */
  private async leafHashes(from: number, count: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const line of this.storedLines(from, count)) out.push(await leafHash(this.sha256, line));
    return out;
  }

  /** Lines of entries appended earlier, read back: each is written once the appends so far are. */
  private async *storedLines(from: number, count: number): AsyncIterable<string> {
    await this.appendsDone();
    yield* this.store.read(from, count);
  }

  /** Settles once every append made so far has (a failed one is the caller's to report). */
  private appendsDone(): Promise<unknown> {
    return this.lastAppend.then(ignore, ignore);
  }

  private ensureUsable(): void {
    if (this.failure !== undefined) {
      throw new AuditStoreError(`audit log of tenant \`${this.tenant}\` is unavailable after a store failure: ${String(this.failure)}`);
    }
  }

  /**
   * Appends one entry; resolves with its index once it is durable. An entry naming another
   * tenant (a decision made for it) is refused: it could never be proven in this log.
   */
  async append(entry: Json): Promise<{ index: number }> {
    const stray = this.otherTenant((entry as { tenant?: unknown } | null)?.tenant);
    if (stray !== undefined) throw stray;
    const line = auditLine(entry);
    return this.appendLines([line], [idOfAuditLine(line)], undefined, indexed);
  }

  /** Appends a decision from Signer.signAudited without canonicalizing it again. */
  appendSigned(signed: SignedEntry): Promise<{ index: number }> {
    // Not `async`: on the hot path each extra promise turn is a visible share of a check.
    const stray = this.otherTenant(signed.unsigned.tenant);
    if (stray !== undefined) return Promise.reject(stray);
    return this.appendLines([signed.auditLine], [signed.unsigned.decision_id], [signed.leafInput], indexed);
  }

  /**
   * Signed decisions in order, as one append: their ids are checked together, so a batch whose
   * ids fell below the last one reads each range of entries back once (appended one by one,
   * each id read its range again: a 1 000-check batch beside 50 single checks).
   */
  appendSignedMany(signed: readonly SignedEntry[]): Promise<number> {
    for (const s of signed) {
      const stray = this.otherTenant(s.unsigned.tenant);
      if (stray !== undefined) return Promise.reject(stray);
    }
    return this.appendLines(signed.map((s) => s.auditLine), signed.map((s) => s.unsigned.decision_id), signed.map((s) => s.leafInput), itself);
  }

  /** Appends entries in order; resolves with the first one's index once all are durable. */
  appendMany(entries: readonly Json[]): Promise<number> {
    try {
      for (const e of entries) {
        const stray = this.otherTenant((e as { tenant?: unknown } | null)?.tenant);
        if (stray !== undefined) throw stray;
      }
      const lines = entries.map(auditLine);
      return this.appendLines(lines, lines.map(idOfAuditLine), undefined, itself);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `leafInputs`, when given, are "\0" + each line (SignedDecision.leafInput): hashed as they
   * are. Resolves with `result(index of the first line)` once durable: made in the same promise
   * turn that sees the store's answer, not one more.
   */
  private appendLines<T>(lines: string[], ids: (string | undefined)[], leafInputs: string[] | undefined, result: (first: number) => T): Promise<T> {
    try {
      // Here, not in ensureUsable: an append queued before close() (behind a read) still lands.
      if (this.closed) throw new AuditStoreError(`audit log of tenant \`${this.tenant}\` is closed`);
      this.ensureUsable();
      if (this.checking === undefined && this.refuseKnownDuplicates(ids).length === 0) return this.appendNow(lines, ids, leafInputs, result);
      // An id only a read of earlier entries can clear (an engine id not above the last one: a
      // clock set back, or an entry logged again). This append, and every one after it until it
      // is in, waits for that read, so the log keeps the order appends were made in.
      const turn = (this.checking ?? Promise.resolve()).then(async () => {
        this.ensureUsable();
        const repeated = await this.ids.firstRecorded(this.refuseKnownDuplicates(ids));
        if (repeated !== undefined) throw duplicate(repeated);
        return this.appendNow(lines, ids, leafInputs, result);
      });
      const settled = turn.then(() => undefined, () => undefined);
      this.checking = settled;
      void settled.then(() => {
        if (this.checking === settled) this.checking = undefined;
      });
      return turn;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The refusal of an entry whose `tenant` is another's (it could never be proven in this log); undefined for this tenant's or none. */
  private otherTenant(tenant: unknown): AuditEntryError | undefined {
    if (typeof tenant !== 'string' || tenant === this.tenant) return undefined;
    return new AuditEntryError(`an entry of tenant \`${tenant}\` is not appended to tenant \`${this.tenant}\`'s log (SPEC §6: each tenant has its own)`);
  }

  /** Throws for an id known to be logged already (or given twice); returns the ids only a read can clear. */
  private refuseKnownDuplicates(ids: (string | undefined)[]): string[] {
    const unsure: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === undefined) continue;
      const known = ids.indexOf(id) !== i || this.ids.known(id);
      if (known === true) throw duplicate(id);
      if (known === undefined) unsure.push(id);
    }
    return unsure;
  }

  private appendNow<T>(lines: string[], ids: (string | undefined)[], leafInputs: string[] | undefined, result: (first: number) => T): Promise<T> {
    try {
      // Everything below is synchronous up to the store call: index order = store order.
      const first = this.count;
      this.count += lines.length;
      // Leaves hashed synchronously (node:crypto) are in the tree already; only wait for the rest.
      let pendingLeaves: Promise<number>[] | undefined;
      try {
        for (let i = 0; i < ids.length; i++) if (ids[i] !== undefined) this.ids.set(ids[i]!, first + i);
        for (let i = 0; i < lines.length; i++) {
          const leaf = leafInputs === undefined ? this.tree.appendEntry(lines[i]) : this.tree.appendLeafInput(leafInputs[i]);
          if (leaf instanceof Promise) (pendingLeaves ??= []).push(leaf);
        }
      } catch (e) {
        // Counted but not indexed or hashed (a structure that could grow no more): the log no
        // longer says what its store holds, so it refuses from here on, as after a store
        // failure, and is read again from the store (a review, 11-29: it went on appending,
        // and every proof after it failed).
        this.failed(e);
        throw new AuditStoreError(`audit log of tenant \`${this.tenant}\` failed: ${String(e)}`);
      }
      const durable = this.store.append(lines).then(() => {
        this.answered = Math.max(this.answered, first + lines.length);
        return result(first);
      }, (e: unknown) => {
        this.failed(e);
        throw new AuditStoreError(`audit store of tenant \`${this.tenant}\` failed: ${String(e)}`);
      });
      // Kept as it is (its caller handles a rejection); appendsDone() waits for it without throwing.
      this.lastAppend = durable;
      if (pendingLeaves === undefined) return durable;
      return Promise.all([durable, ...pendingLeaves]).then(() => result(first));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** From now on every append is refused (the first failure is the one named). */
  private failed(e: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    this.failedAtMs = this.now();
  }

  /** Entries known durable: those loaded at opening and every append that resolved. */
  answeredSize(): number {
    return this.answered;
  }

  /** When a store failure made this log refuse every append from then on (its clock), if one did. */
  get failedAt(): number | undefined {
    return this.failedAtMs;
  }

  /** Entries accepted so far (durable or about to be). */
  size(): number {
    return this.count;
  }

  /** Entries accepted past the largest kept checkpoint (its size when it was decided). */
  uncheckpointed(): number {
    return this.count - Math.max(0, this.lastCheckpointSize);
  }

  /** The size covered by every append that has resolved or will resolve successfully. */
  async durableSize(): Promise<number> {
    const n = this.count;
    await this.appendsDone();
    this.ensureUsable();
    await this.tree.settled();
    return n;
  }

  async root(size?: number): Promise<string> {
    this.ensureUsable();
    return toHex(await this.tree.root(size ?? (await this.durableSize())));
  }

  /** Inclusion proof of a decision at `treeSize` (default: now); undefined if not in that tree. */
  async proof(decisionId: string, treeSize?: number): Promise<InclusionProof | undefined> {
    const size = treeSize ?? (await this.durableSize());
    const index = await this.ids.get(decisionId);
    if (index === undefined || index >= size) return undefined;
    const [path, root] = await Promise.all([this.tree.inclusionProof(index, size), this.tree.root(size)]);
    return {
      decision_id: decisionId, leaf_index: index, tree_size: size, leaf_hash: toHex(await this.tree.leaf(index)),
      audit_path: path.map(toHex), root_hash: toHex(root),
    };
  }

  async consistency(first: number, second: number): Promise<ConsistencyProof> {
    await this.durableSize();
    return { first, second, proof: (await this.tree.consistencyProof(first, second)).map(toHex) };
  }

  /** A signed checkpoint covering every durable entry; kept in the store when the log grew. */
  checkpoint(signer: CheckpointSigner): Promise<Checkpoint> {
    const run = this.keepCheckpoint(signer);
    // Closing waits for it: one started in the background must not be written after close.
    // Settles to nothing: resolved to the checkpoints, the chain kept every one ever made.
    this.checkpointsDone = Promise.all([this.checkpointsDone, run.catch(ignore)]).then(ignore);
    return run;
  }

  private async keepCheckpoint(signer: CheckpointSigner): Promise<Checkpoint> {
    const tree_size = await this.durableSize();
    const root_hash = toHex(await this.tree.root(tree_size));
    const cp = await signer.signCheckpoint({ tenant: this.tenant, tree_size, root_hash, timestamp: new Date(this.now()).toISOString() });
    // Decided and queued synchronously, so kept checkpoints are in increasing size order even
    // when concurrent requests finish signing out of order.
    if (tree_size > this.lastCheckpointSize || (!this.newestIsOwn && tree_size === this.lastCheckpointSize)) {
      this.lastCheckpointSize = tree_size;
      const wasOwn = this.newestIsOwn;
      this.newestIsOwn = true;
      const write = this.checkpointWrites.then(() => this.store.appendCheckpoint(cp));
      this.checkpointWrites = write.then(
        () => void (this.keptCheckpointSize = Math.max(this.keptCheckpointSize, tree_size)),
        // Not kept (a full disk): the next checkpoint of this size writes it again, and a
        // shutdown sees the entries uncovered, unless a larger one was decided meanwhile.
        () => {
          if (this.lastCheckpointSize !== tree_size) return;
          this.lastCheckpointSize = this.keptCheckpointSize;
          this.newestIsOwn = wasOwn;
        },
      );
      await write;
    }
    return cp;
  }

  async findByDecisionId(id: string): Promise<{ index: number; entry: Json } | undefined> {
    const index = await this.ids.get(id);
    if (index === undefined) return undefined;
    const [entry] = await this.entries(index, 1);
    return entry === undefined ? undefined : { index, entry };
  }

  /** Parsed entries `from` .. `from + limit - 1` among the durable ones. */
  async entries(from: number, limit: number): Promise<Json[]> {
    const n = await this.durableSize();
    const out: Json[] = [];
    const start = Math.max(0, from);
    for await (const line of this.store.read(start, Math.max(0, Math.min(limit, n - start)))) out.push(JSON.parse(line) as Json);
    return out;
  }

  /** JSON Lines, one canonical entry per line, in log order, up to the current durable size. */
  async *export(): AsyncIterable<string> {
    const n = await this.durableSize();
    for await (const line of this.store.read(0, n)) yield line + '\n';
  }

  checkpoints(): Promise<Checkpoint[]> {
    return this.store.checkpoints();
  }

  /** Refuses appends from now on, and resolves once those made before are durable and the store is closed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.checking;
    await this.appendsDone();
    await this.checkpointsDone;
    await this.store.close();
  }
}
