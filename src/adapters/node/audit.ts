// The audit log `mge serve` uses: the trust layer's file store under `<data>/audit/`, hashed
// with node:crypto, behind the HTTP app's audit port; and how the server holds it: writes fenced
// by the data dir's lock, readiness while every log opens, checkpoints kept at a stop.

import { AuditLogs } from '../../audit/logs.js';
import { verifyCheckpointSignature } from '../../audit/checkpoint.js';
import { AuditStoreError } from '../../audit/store.js';
import { storedEntryProblem } from '../../audit/verify.js';
import { auditPort, CHECKPOINT_EVERY, type AuditPort } from '../../http/audit-port.js';
import type { Logger } from '../../http/logger.js';
import { KeyRing } from '../../receipt/keys.js';
import type { Signer } from '../../receipt/sign.js';
import { NodeAuditStoreFactory, type FsyncPolicy } from './audit-store.js';
import { nodeCryptoBackend } from './crypto.js';
import { dataDirVerificationKeys } from './data-dir-keys.js';

/** Uncovered rule changes said one by one at an open, per tenant; the rest are counted. */
const RULE_CHANGES_SAID = 5;

export interface NodeAuditOptions {
  fsync?: FsyncPolicy;
  reopenAfterMs?: number;
  logger?: Logger;
  /**
   * Whether the data dir's key files (`secret.key`, `ed25519.jwk`) also verify the log: only
   * when the key the server signs with was itself read from the data dir (see below).
   */
  dataDirKeys?: boolean;
  /** Asked right before each write to a log (NodeAuditStoreOptions.mayWrite). */
  mayWrite?: () => boolean;
}

/**
 * `fsync: 'always'` (default): an answered decision survives a power cut; `'never'`: it
 * survives a process crash only (see node/audit-store.ts for group commit).
 * @example const audit = await openNodeAudit('./data', signer)
 */
export async function openNodeAudit(dataDir: string, signer: Signer, opts: NodeAuditOptions = {}): Promise<AuditPort> {
  const { logger } = opts;
  const factory = new NodeAuditStoreFactory(dataDir, {
    fsync: opts.fsync ?? 'always',
    ...(opts.mayWrite ? { mayWrite: opts.mayWrite } : {}),
    // Said, not silent: an operator should know a write was cut short (a crash or a full disk).
    ...(logger ? { onTornTailCut: (cut: { dir: string; bytes: number }) => logger.warn('audit log ended in a torn entry, cut off at open (a write cut short by a crash or a full disk; nothing answered is lost)', cut) } : {}),
  });
  // The log was signed by whichever key signed when each entry was made: after a switch of
  // algorithm (HS256 to Ed25519 and back) that is also the data dir's other key, which the
  // signer does not hold when it signs with neither (receipts it verifies stay its own). That
  // key is trusted only when the signing key lives in the data dir too, and only as a file of
  // this user that no one else may write (node/data-dir-keys.ts): with MGE_SECRET_KEY kept
  // elsewhere, a key file dropped into the data dir made a forged entry pass and the real key
  // sign a checkpoint over it.
  const fromDataDir = opts.dataDirKeys === true ? await dataDirVerificationKeys(dataDir, (err) =>
    logger?.warn('a key file in the data directory cannot be read or is not trusted; audit entries it signed cannot be checked at start', { error: err.message }), true) : [];
  const keys = new KeyRing([...signer.keys.values(), ...fromDataDir]);
  /** Uncovered rule changes taken at this open of each tenant's log: the first few said one by one. */
  const taken = new Map<string, { count: number; last: number }>();
  const logs = new AuditLogs(factory, {
    backend: nodeCryptoBackend, ...(opts.reopenAfterMs !== undefined ? { reopenAfterMs: opts.reopenAfterMs } : {}),
    // Entries past the latest checkpoint are checked as `mge audit verify` checks them, with
    // the keys this server verifies receipts with (previous secrets included) and the data dir's.
    // A receipt signed by a key this server does not hold cannot be told from a forged one
    // (any kid can be written), so it refuses the log like any other problem, saying how to
    // give the server that key if it was rotated away.
    checkUncovered: async (line, tenant, index) => {
      const problem = await storedEntryProblem(line, keys, nodeCryptoBackend, tenant, (kid) =>
        `its receipt is signed with key \`${kid}\`, which this server does not hold, so it cannot be told from a forged entry; `
        + 'if that key was rotated away (or signed before a switch of MGE_RECEIPT_ALG), give it back for this start '
        + '(an old secret in MGE_PREVIOUS_SECRET_KEYS, old Ed25519 public keys in a JWKS file named by MGE_PREVIOUS_JWKS), '
        + 'stop with SIGTERM so a checkpoint under the key signing now covers the log, then start without it');
      // A rule change carries no signature, so one of the right shape written while the server
      // was down cannot be told from its own (a crash right after a change): taken, and said,
      // since the next checkpoint will cover it (known gap: docs/trust.md).
      if (problem === undefined && line.includes('"kind":"rule_change"')) {
        let seen = taken.get(tenant);
        // An index not past the last one seen: the log is being opened again (after a failure).
        if (seen === undefined || index <= seen.last) taken.set(tenant, (seen = { count: 0, last: -1 }));
        seen.last = index;
        // One line each for the first few; a busy API before a crash left thousands, each said
        // at every start until a checkpoint: the rest are counted (onUncovered).
        if (++seen.count <= RULE_CHANGES_SAID) {
          const { rule_id, op, by, timestamp } = JSON.parse(line) as Record<string, string>;
          logger?.warn('audit log: a rule change after the latest checkpoint is taken as written (rule changes carry no signature); check it against your change records', { tenant, rule_id, op, by, timestamp });
        }
      }
      return problem;
    },
    // The newest checkpoint anchors the log: one with a bad signature under a key this server
    // holds was not made by it (a forged entry with a checkpoint of its root), and refuses the
    // log. One under a key it does not hold is what a rotation after a clean stop leaves (an
    // Ed25519 key has no list of previous keys to give): opened, and said; unless an earlier
    // kept checkpoint verifies under a key it holds, which no rotation leaves (keys move on),
    // but a forger writing a made-up kid does.
    onTornCheckpoint: (tenant, torn) => logger?.warn('audit log: the checkpoints file ends in a torn line (a crash while writing it), skipped and cut at the next checkpoint', {
      tenant, characters: torn.length, ...(torn.tree_size !== undefined && torn.root_hash !== undefined ? { tree_size: torn.tree_size, matches_log: true } : { readable: false }),
    }),
    onUncovered: (tenant, entries, covered) => {
      const warning = uncoveredWarning(entries, covered);
      if (warning !== undefined) logger?.warn(warning, { tenant, entries, covered });
      const ruleChanges = taken.get(tenant)?.count ?? 0;
      taken.delete(tenant);
      if (ruleChanges > RULE_CHANGES_SAID) {
        logger?.warn(`audit log: ${ruleChanges - RULE_CHANGES_SAID} more rule changes after the latest checkpoint were taken as written (rule changes carry no signature); check them against your change records`, { tenant, rule_changes: ruleChanges });
      }
    },
    checkCheckpoint: async (cp, kept) => {
      const sig = await verifyCheckpointSignature(cp, keys, nodeCryptoBackend);
      if (sig === 'ok') return undefined;
      if (sig !== 'unknown_kid') return `does not carry a valid signature (${sig}): the checkpoints file was changed`;
      // Only a key this server signs or verifies receipts with now counts as "moved on from":
      // the data dir's other key may well be older than the newest checkpoint's (a rotation of
      // MGE_SECRET_KEY after a run on the kept secret.key), and must not be refused.
      for (const earlier of kept) {
        if (earlier !== cp && (await verifyCheckpointSignature(earlier, signer.keys, nodeCryptoBackend)) === 'ok') {
          return `is signed with key \`${cp.kid}\`, which this server does not hold, after a checkpoint signed with one it holds (\`${earlier.kid}\`): no rotation leaves that, a forged checkpoint under a made-up kid does; if that key is real (a switch of MGE_RECEIPT_ALG and back), give it to this server (an old secret in MGE_PREVIOUS_SECRET_KEYS, old Ed25519 public keys in a JWKS file named by MGE_PREVIOUS_JWKS)`;
        }
      }
      logger?.warn('audit log: its latest checkpoint is signed by a key this server does not hold; the entries after the latest checkpoint it can verify were checked one by one instead', { tenant: cp.tenant, kid: cp.kid });
      return undefined;
    },
    // Only a checkpoint this server can verify spares its entries the one-by-one check: one
    // under a made-up kid, alone in a rewritten checkpoints file, let an edited decision open
    // unchecked. After a rotation, the old key is given back for one start.
    trusted: async (cp) => (await verifyCheckpointSignature(cp, keys, nodeCryptoBackend)) === 'ok',
    ownKid: signer.kid,
  });
  // Said once per tenant and cause (else once per append past the mark).
  const said = new Map<string, string>();
  return auditPort(logs, signer, {
    onCheckpointFailed: (tenant, err) => {
      const why = String(err);
      if (said.get(tenant) === why) return;
      said.set(tenant, why);
      logger?.error('audit log: a checkpoint could not be kept; the entries since the last one are covered by none until one is (checks go on)', { tenant, error: err });
    },
  });
}

/**
 * What to say of a log whose newest kept checkpoint covers `covered` of its `entries`. A
 * removed checkpoints file (or its newest lines) cannot be seen, and lets the log under it be
 * rewritten, which the server then signs. What can be seen is a gap the server never leaves
 * (it keeps a checkpoint every CHECKPOINT_EVERY entries and at each clean stop): said loudly,
 * so the operator compares with a checkpoint kept elsewhere. A short tail is a crash's.
 */
export function uncoveredWarning(entries: number, covered: number): string | undefined {
  const compare = 'compare with a checkpoint kept outside the data directory (`mge audit verify --checkpoint FILE`)';
  if (entries > 0 && covered === 0) {
    return `audit log: no checkpoint anchors its ${entries} entries (a crash before the first one, or the checkpoints file was removed); ${compare}`;
  }
  if (entries - covered > CHECKPOINT_EVERY) {
    return `audit log: ${entries - covered} entries after the newest checkpoint, more than the ${CHECKPOINT_EVERY} this server leaves between two (checkpoints removed from the file, or earlier runs could not keep them); ${compare}`;
  }
  return undefined;
}

/**
 * The audit port, writing only while `mayWrite` (the data directory's lock is fresh:
 * DataDirLock.fresh): appends and checkpoints are refused as a failed store's are (503), reads
 * go through. Refused here, a lapse fails no store (the file store's own check, at the write,
 * holds queued lines for a while and then fails the store).
 */
export function fenced(audit: AuditPort, mayWrite: () => boolean): AuditPort {
  // Not async: on the check path each extra promise turn is a visible share of a check.
  const refused = (): Promise<never> => Promise.reject(new AuditStoreError('this server has not read its data directory lock back as its own, or could not touch it, for seconds (paused, another process took it, or its file system is read-only): nothing is written to the audit log'));
  return {
    append: (tenant, entries) => (mayWrite() ? audit.append(tenant, entries) : refused()),
    appendSigned: (tenant, signed) => (mayWrite() ? audit.appendSigned(tenant, signed) : refused()),
    checkpoint: (tenant, opts) => (mayWrite() ? audit.checkpoint(tenant, opts) : refused()),
    size: (tenant) => audit.size(tenant),
    entries: (tenant, from, limit) => audit.entries(tenant, from, limit),
    export: (tenant) => audit.export(tenant),
    proof: (tenant, id, treeSize) => audit.proof(tenant, id, treeSize),
    consistency: (tenant, first, second) => audit.consistency(tenant, first, second),
    tenants: () => audit.tenants(),
    retryAfterSeconds: (tenant) => audit.retryAfterSeconds(tenant),
    failing: (tenant) => !mayWrite() || audit.failing(tenant),
    usable: () => audit.usable(),
    close: () => audit.close(),
  };
}

/**
 * Whether every log on disk has opened and none has failed since (a store that failed after
 * start-up: a full disk, an I/O error). While one is not usable, each ask starts a try in the
 * background (unless one is running), and the answer is the last one known. Trying opens the
 * logs, which reopens a failed one once the audit logs' own reopen interval has passed
 * (src/audit/logs.ts: until then its failure is answered from memory, its file is not read), so a
 * store that comes back (a disk with room again, a file restored whole) makes the sidecar ready
 * without a restart.
 */
export class AuditReadiness {
  private ok = false;
  private running = true;
  private trying: Promise<void>;

  constructor(
    private readonly attempt: () => Promise<boolean>,
    private readonly usable: () => boolean,
    private readonly logger: Logger,
  ) {
    this.trying = this.run(false);
  }

  ready(): boolean {
    if (this.ok && !this.usable()) {
      this.ok = false;
      this.logger.error('an audit log failed; not ready until it opens again');
    }
    if (!this.ok && !this.running) {
      this.running = true;
      this.trying = this.run(true);
    }
    return this.ok;
  }

  /** Resolves when no try is running (shutdown waits for it before closing the logs). */
  settled(): Promise<void> {
    return this.trying;
  }

  private async run(again: boolean): Promise<void> {
    this.ok = (await this.attempt().catch(() => false)) && this.usable();
    this.running = false;
    if (this.ok && again) this.logger.info('every audit log is open now; ready');
  }
}

/**
 * Opens every tenant's log found on disk; false if one does not open. Each failure is logged
 * once, not on every try: a probe polling /readyz must not fill the log (`reported` keeps the
 * last failure logged per tenant, forgotten once that log opens).
 */
export async function openExistingLogs(audit: AuditPort, logger: Logger, reported: Map<string, string>): Promise<boolean> {
  let ok = true;
  try {
    for (const tenant of await audit.tenants()) {
      try {
        await audit.size(tenant);
        reported.delete(tenant);
      } catch (err) {
        ok = false;
        const why = String(err);
        if (reported.get(tenant) === why) continue;
        reported.set(tenant, why);
        logger.error('audit log does not open; its checks are refused until it is repaired', { tenant, error: err });
      }
    }
  } catch (err) {
    ok = false;
    logger.error('audit logs could not be listed', { error: err });
  }
  return ok;
}

/**
 * A signed checkpoint for every tenant whose log grew since its last one, kept beside the log,
 * so `mge audit verify --data` after a stop vouches for every entry as a whole. A log that
 * cannot give one (it failed) is logged and skipped: the shutdown goes on. Returns those tenants.
 */
export async function keepCheckpoints(audit: AuditPort, logger: Logger): Promise<string[]> {
  const tenants = await audit.tenants().catch(() => [] as string[]);
  const missed: string[] = [];
  for (const tenant of tenants) {
    // A log that failed is tried once more now: a disk that came back a moment ago (else a
    // tenant whose first write hit a full disk was left empty and unanchored).
    await audit.checkpoint(tenant, { reopenFailedNow: true }).catch((err: unknown) => {
      missed.push(tenant);
      logger.warn('no checkpoint kept at shutdown', { tenant, error: err });
    });
  }
  return missed;
}
