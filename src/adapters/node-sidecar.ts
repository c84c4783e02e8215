// `mge serve` assembled on Node: engine from the rules directory, HS256 signer with the secret
// of the data dir, in-memory nonces and rate buckets, the file audit log, the HTTP app on a
// loopback-or-chosen address, hot reload of the rules directory, and a graceful shutdown.

import { createHash } from 'node:crypto';
import { mkdir, readdir, realpath, rmdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createEngine, type Engine } from '../engine/engine.js';
import { callerTenants, parseApiKeys, type ApiKey } from '../http/api-keys.js';
import { createApp } from '../http/app.js';
import { keyOfHash, presentedKey } from '../http/auth.js';
import { refuseOpenModeOffLoopback } from '../http/open-mode.js';
import { StoreUnavailable } from '../http/problem.js';
import type { AuditPort } from '../http/audit-port.js';
import { apiRulePath, type RuleStore, type StoredRule } from '../http/rule-store.js';
import { storedRuleText } from '../http/rule-view.js';
import { Lifecycle } from '../http/lifecycle.js';
import type { Logger } from '../http/logger.js';
import { ServerMetrics } from '../http/metrics.js';
import { hs256VerificationKeys, importHs256Secret, WeakSecretError } from '../receipt/keys.js';
import { createSigner, type Signer } from '../receipt/sign.js';
import { DEFAULT_SKEW_MS } from '../receipt/verify.js';
import { jsonLimits, type JsonLimits } from '../json/strict-parse.js';
import { NodeNonceStore, NONCES_FILE } from './node-nonce-store.js';
import { hadFileRules, hadGlobalFileRules, lastRulesInForce, RULES_IN_FORCE_FILE, startRulesRecord, type RulesRecord } from './node-rules-in-force.js';
import { hasGlobalSource } from '../rules/load.js';
import { AuditStoreError } from '../audit/store.js';
import { lockDataDir, type DataDirLock, type LockLoss } from './node-data-dir-lock.js';
import { nodeCryptoBackend } from './node-crypto.js';
import { preReadBodyOf, requestHostOf } from './node-body.js';
import { nodeCheckTurn } from './node-check-turn.js';
import { ED25519_FILE, loadOrCreateEd25519Key } from './node-ed25519.js';
import { keepFiles, type KeepFile } from './node-kept-files.js';
import { tenantDirName } from './node-tenant-dirs.js';
import { syncMadeDirs } from './node-new-file.js';
import { readRulesDirWarned, rulesDirProblem } from './node-files.js';
import { walkTree } from './node-rules-tree.js';
import { linkedState } from './node-data-dir-links.js';
import { jwksFileKeys } from './node-jwks-file.js';
import { logRefusedTenants, startRulesReloader } from './node-reload.js';
import { API_RULE_FORMATS, API_RULES_DIR, nodeRuleStore } from './node-rule-store.js';
import { loadOrCreateSecret, SECRET_FILE, type SecretSource } from './node-secret.js';
import { startNodeServer } from './node-server.js';

export interface SidecarConfig {
  rulesDir: string;
  dataDir: string;
  host: string;
  port: number;
  /** MGE_SECRET_KEY; generated and kept in the data dir when absent. */
  secret?: string;
  /**
   * MGE_PREVIOUS_SECRET_KEYS: secrets signed with before a rotation, comma-separated; their
   * receipts and checkpoints still verify (SPEC §5: several keys accepted at once), none signs.
   */
  previousSecrets?: string;
  /**
   * MGE_PREVIOUS_JWKS: a JWKS file of Ed25519 public keys signed with before a rotation (or
   * before a switch to HS256); what they signed still verifies, receipts and the log alike.
   */
  previousJwks?: string;
  /** MGE_API_KEYS; absent or empty: local open mode, loopback only. */
  apiKeys?: string;
  /** Receipt signatures: HS256 (default, one trust domain) or Ed25519 (key kept in the data dir, JWKS at /api/v1/keys). */
  receiptAlg?: 'HS256' | 'Ed25519';
  /** MGE_RECEIPT_TTL_SECONDS: how long a receipt is valid, in ms (default 60 000; SPEC §5). */
  receiptTtlMs?: number;
  /** MGE_CLOCK_SKEW_SECONDS: the clock skew /receipts/verify allows, in ms (default 5 000; SPEC §5). */
  skewMs?: number;
  /** SPEC §2's request limits (MGE_MAX_BODY_BYTES…): the HTTP body and the engine alike. */
  limits?: Partial<JsonLimits>;
  logger: Logger;
  /**
   * Opens the audit log; the file store in the data dir by default. `keysInDataDir`: the
   * signing key was read from the data dir (no MGE_SECRET_KEY), so its other key file may be
   * trusted to verify the log too (openNodeAudit's `dataDirKeys`).
   */
  openAudit: (dataDir: string, signer: Signer, opts: { keysInDataDir: boolean; mayWrite: () => boolean }) => Promise<AuditPort>;
  watch?: boolean;
  /** Concurrent checks before the server answers 429 (default 4096). */
  maxInflight?: number;
  /** /openapi.json's `info.version`; default: this package's version (src/version.ts). */
  version?: string;
}

export interface Sidecar {
  url: string;
  mode: 'open-local' | 'keys';
  /** How many keys MGE_API_KEYS gave, and their tenants (sorted); none in open mode. */
  keys: { count: number; tenants: string[] };
  secretSource: SecretSource;
  /** The key id receipts and checkpoints are signed under (said at start: two replicas must show the same). */
  receiptKid: string;
  /** Key files in the data dir that other users can read (said at start: the key is a signing credential). */
  exposedKeyFiles: string[];
  engine: Engine;
  /**
   * Stops accepting, finishes checks in flight, keeps a checkpoint per tenant, flushes and
   * closes the audit log; resolves to the tenants no checkpoint could be kept for (a failed log).
   */
  shutdown(): Promise<{ uncheckpointed: string[]; lockLost?: true }>;
}

/**
 * The audit port, writing only while `mayWrite` (the data directory's lock is fresh:
 * DataDirLock.fresh): appends and checkpoints are refused as a failed store's are (503), reads
 * go through. Refused here, a lapse fails no store (the file store's own check, at the write,
 * holds queued lines for a while and then fails the store).
 */
function fenced(audit: AuditPort, mayWrite: () => boolean): AuditPort {
  // Not async: on the check path each extra promise turn is a visible share of a check.
  const refused = (): Promise<never> => Promise.reject(new AuditStoreError('this server has not read its data directory lock back as its own for seconds (paused, or another process took it): nothing is written to the audit log'));
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

export class SidecarConfigError extends Error {
  override readonly name = 'SidecarConfigError';
}

/** @example const sidecar = await startSidecar({ rulesDir: './rules', dataDir: './data', host: '127.0.0.1', port: 8080, logger, openAudit }) */
export async function startSidecar(cfg: SidecarConfig): Promise<Sidecar> {
  const keys: ApiKey[] = cfg.apiKeys ? await parseApiKeys(cfg.apiKeys, (message) => cfg.logger.warn(message)) : [];
  try {
    refuseOpenModeOffLoopback(keys.length, cfg.host);
  } catch (err) {
    throw new SidecarConfigError((err as Error).message);
  }
  const rulesProblem = await rulesDirProblem(cfg.rulesDir);
  if (rulesProblem !== undefined) throw new SidecarConfigError(rulesProblem);
  // Made first, so that links to it resolve as the rules reader will see them (a link in the
  // rules to a data dir not made yet dangled at the check, and led into it after); taken away
  // again when refused. Resolved, so that what mkdir says it made compares with the path walked
  // up (given as `a/b/` it answered `a`, and the walk up never met it).
  const dataPath = resolve(cfg.dataDir);
  const made = await mkdir(dataPath, { recursive: true });
  try {
    await refuseDataInRules(cfg.dataDir, cfg.rulesDir);
  } catch (err) {
    if (made !== undefined) await removeMadeDirs(dataPath, resolve(made));
    throw err;
  }
  // One server per data directory: two would interleave their audit files.
  const lost: LockLost = {};
  const lock = await lockDataDir(cfg.dataDir, { onLost: (loss) => lost.handle?.(loss) });
  try {
    // A data directory made now survives a power cut with what is answered into it.
    if (made !== undefined) await syncMadeDirs(dataPath, made);
    const linked = await linkedState(cfg.dataDir);
    if (linked !== undefined) {
      const what = linked.kind === 'symbolic' ? 'is a symbolic link' : 'has another name outside its folder (a hard link, or a data directory copied with `cp -al`?)';
      // A hard link is mostly a copy made with links: the file needs a copy of its own, not a move.
      const fix = linked.kind === 'symbolic'
        ? 'to keep them elsewhere, give that place as the data directory (--data)'
        : `give it a copy of its own (\`cp -p F F.own && mv F.own F\` for F = \`${linked.path}\`), or remove the other name; a data directory copied with \`cp -al\` has every file so: copy it again with \`cp -a\``;
      throw new SidecarConfigError(`\`${linked.path}\` ${what}: the audit logs, used nonces, API rules and record of the rules in force must be the data directory's own, which its lock guards (through a link, two servers could write one log); ${fix}`);
    }
    return await serveHoldingLock(cfg, keys, lock, lost);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * A data directory the rules reader would walk into is refused: the API rules it stores would
 * load again as file rules (a review's `--rules . --data .` then refused every reload and its
 * own restart), and each audit write would wake the rules watcher. "Walk into" is as the reader
 * walks: through links (`rules/data -> ../elsewhere`), not into dot-directories (`rules/.data`
 * is never read as rules).
 */
async function refuseDataInRules(dataDir: string, rulesDir: string): Promise<void> {
  const data = await realpath(dataDir);
  const root = await realpath(rulesDir);
  const within = (dir: string): boolean => {
    const below = relative(dir, data);
    return below === '' || (!below.startsWith('..') && !isAbsolute(below) && below.split(sep).every((part) => !part.startsWith('.')));
  };
  // Under the root itself is known at once; elsewhere only a walk through the links can tell,
  // which also finds a link that leads into the kept API rules (`rules/a -> ../data/api-rules`).
  const apiRules = join(data, API_RULES_DIR);
  const intoApiRules = (dir: string): boolean => dir === apiRules || dir.startsWith(apiRules + sep);
  const walked = within(root) ? root : [...walkTree(rulesDir).realDirs].find((d) => within(d) || intoApiRules(d));
  if (walked !== undefined && !within(walked)) {
    throw new SidecarConfigError(`the rules directory \`${rulesDir}\` reaches into the data directory's API rules (through a link, at \`${walked}\`): they would load again as file rules; remove that link`);
  }
  if (walked !== undefined) {
    throw new SidecarConfigError(`data directory \`${dataDir}\` is inside the rules directory \`${rulesDir}\`${walked === root ? '' : ` (through a link, at \`${walked}\`)`}: the API rules and audit log kept there would be read as rules; put it elsewhere (\`--data ./data\` beside the rules), or in a dot-directory, which the rules reader skips`);
  }
}

/** Removes the empty directories `mkdir -p` made, from `dir` up to `first` (the first it made); never above it. */
async function removeMadeDirs(dir: string, first: string): Promise<void> {
  if (dir !== first && !dir.startsWith(first + sep)) return;
  for (let d = dir; ; d = dirname(d)) {
    await rmdir(d).catch(() => undefined);
    if (d === first || dirname(d) === d) return;
  }
}

/** What the server does if it loses its lock (set once it serves). */
interface LockLost {
  handle?: (loss: LockLoss) => void;
}

async function serveHoldingLock(cfg: SidecarConfig, keys: ApiKey[], lock: DataDirLock, lost: LockLost): Promise<Sidecar> {
  // Asked right before every write into the data directory: the audit log's, checkpoints',
  // nonces', API rules' and the rules-in-force record's (a re-review: a server woken after
  // another took its lock finished a reload and replaced the other's record).
  const mayWrite = (): boolean => lock.fresh();

  // With Ed25519 receipts no HS256 secret is trusted but those listed as previous: a secret.key
  // that verified receipts no published key can would make the server and offline verifiers
  // disagree, and would be a signing credential nobody knows is live.
  const ed25519 = cfg.receiptAlg === 'Ed25519';
  const hs = ed25519 ? undefined : await loadOrCreateSecret(cfg.secret, cfg.dataDir);
  const ed25519Key = ed25519 ? await loadOrCreateEd25519Key(cfg.dataDir) : undefined;
  // Imported once here to name where a short secret came from; createSigner would not name it.
  if (hs !== undefined) {
    const where = hs.source === 'env' ? 'MGE_SECRET_KEY' : `\`${join(cfg.dataDir, SECRET_FILE)}\``;
    await importHs256Secret(hs.secret).catch((err: unknown) => {
      throw err instanceof WeakSecretError ? new WeakSecretError(`${where}: ${err.message}`) : err;
    });
  }
  const signer = await createSigner({
    backend: nodeCryptoBackend,
    ...(cfg.receiptTtlMs !== undefined ? { ttlMs: cfg.receiptTtlMs } : {}),
    extraVerificationKeys: [...await hs256VerificationKeys(cfg.previousSecrets), ...(cfg.previousJwks !== undefined ? await jwksFileKeys(cfg.previousJwks, 'MGE_PREVIOUS_JWKS') : [])],
    ...(hs !== undefined ? { hs256Secret: hs.secret } : {}),
    ...(ed25519Key !== undefined ? { alg: 'Ed25519', ed25519: { privateJwk: ed25519Key } } : {}),
  });
  const source: SecretSource = hs?.source ?? 'data-dir';
  const read = await readRulesDirWarned(cfg.rulesDir);
  // A start between the two steps of a deploy (`rm rules/*; cp new/* rules/`) finds no rule file;
  // started, it approved every check until the copy landed (a review, 11-27): refused, as a reload
  // is. So is a first start on an empty directory (a volume that was not mounted, a wrong path:
  // a review, 11-28, started one on a fresh data dir and every check was approved).
  const lastRecord = await lastRulesInForce(cfg.dataDir, cfg.logger); // read once: checked here, compared below
  // Rules kept through the API alone are a deployment of their own (a re-review: such a one no
  // longer restarted, told that every check would be approved, which was untrue).
  const ruleStore = nodeRuleStore(cfg.dataDir, { mayWrite });
  const midDeploy = hadFileRules(lastRecord);
  if (read.sources.length === 0 && (midDeploy || (await ruleStore.list()).length === 0)) {
    const why = midDeploy ? 'but the last run served rule files (a deploy caught between removing and copying them?)' : 'and the data directory keeps no API rule, so every check would be approved (a volume not mounted, a wrong path?)';
    throw new SidecarConfigError(`the rules directory \`${cfg.rulesDir}\` holds no rule file, ${why}; to start with no rules, leave a file holding \`rules: []\``);
  }
  // The baseline alone gone, tenant folders left (`rm rules/*` keeps `tenants/`): every tenant
  // would lose its global rules (a review, 11-28). No source at all was refused just above.
  if (!hasGlobalSource(read.sources) && hadGlobalFileRules(lastRecord)) {
    throw new SidecarConfigError(`the rules directory \`${cfg.rulesDir}\` holds no global rule file (only \`tenants/\`), but the last run served global rules (a deploy caught between removing and copying them?); to start without them, leave a file holding \`rules: []\` at its top`);
  }
  const limits = jsonLimits(cfg.limits); // one set, so the HTTP parser and the engine never disagree
  const engine = await createEngine({
    rules: read.sources, sourceWarnings: read.warnings, crypto: nodeCryptoBackend,
    limits: { maxDepth: limits.maxDepth, maxStringBytes: limits.maxStringBytes, maxArrayItems: limits.maxArrayItems },
  });
  await replayApiRules(engine, ruleStore, cfg.logger);
  const nonceStore = await NodeNonceStore.open(cfg.dataDir, { skewMs: cfg.skewMs ?? DEFAULT_SKEW_MS, mayWrite }); // used nonces outlive a restart
  const audit = fenced(await cfg.openAudit(cfg.dataDir, signer, { keysInDataDir: hs?.source !== 'env', mayWrite }).catch(async (err: unknown) => {
    await nonceStore.close();
    throw err;
  }), mayWrite);
  // The logs already on disk are opened now rather than on their tenant's first check, so
  // /readyz can say whether they all opened: one that does not (damaged, or no longer matching
  // its newest checkpoint) is named in the log here, and its tenant's checks get 503.
  const reported = new Map<string, string>();
  const readiness = new AuditReadiness(() => openExistingLogs(audit, cfg.logger, reported), () => audit.usable(), cfg.logger);
  const lifecycle = new Lifecycle(cfg.maxInflight, mayWrite);
  const metrics = new ServerMetrics();
  /** Kept after every rule change this run logs (set before the server listens). */
  let rulesRecord: RulesRecord | undefined;
  const app = createApp({
    engine, signer, audit, keys, lifecycle, metrics, ruleStore, logger: cfg.logger,
    nonceStore, crypto: nodeCryptoBackend, ...(cfg.version !== undefined ? { version: cfg.version } : {}), ...(cfg.skewMs !== undefined ? { skewMs: cfg.skewMs } : {}), limits, preReadBody: preReadBodyOf, requestHost: requestHostOf, checkTurn: nodeCheckTurn(), urlChecked: true,
    ready: () => mayWrite() && readiness.ready(), // false once the lock is lost, too
    dead: () => {
      const loss = lock.lost();
      return loss === undefined ? undefined : `${loss.because}: restart this server`;
    },
    rulesChanged: () => rulesRecord?.note(),
  });

  let server;
  try {
    // Rules changed since the last run recorded them are logged before the first check.
    const logged = await audit.tenants().catch(() => []);
    rulesRecord = await startRulesRecord({
      dataDir: cfg.dataDir, before: lastRecord, engine, audit, logger: cfg.logger, now: Date.now, mayWrite,
      tenants: [...new Set([...callerTenants(keys), ...engine.tenants(), ...logged])].sort(),
    });
    server = await startNodeServer(app.fetch, {
      host: cfg.host, port: cfg.port, maxBodyBytes: limits.maxBytes, ...(keys.length > 0 ? { keyKnown: knownKeyOf(keys) } : {}),
      answeredAlone: (status) => metrics.responses.inc({ status: String(status) }),
      cutUnanswered: (connections) => cfg.logger.warn('shutdown cut connections at its hard close with a request in progress or an answer unsent (an export, say, or a check whose decision may then be in the log without its client having it)', { connections }),
    });
  } catch (err) {
    await readiness.settled();
    // What the start logged (the rules in force) is checkpointed, as at a stop: a start that
    // failed to bind (a port in use, a host that does not resolve) left it uncovered, and the
    // next start warned of each entry as a rule change to check (a review, 11-29).
    if (rulesRecord !== undefined) await keepCheckpoints(audit, cfg.logger);
    await audit.close();
    await nonceStore.close();
    throw err;
  }
  const reloader = cfg.watch === false ? undefined : startRulesReloader({
    dir: cfg.rulesDir, engine, metrics, logger: cfg.logger, audit, rulesRecord,
    callerTenants: callerTenants(keys),
  });

  // Started last: nothing after it can fail the start and leave it writing the lock back.
  const record = rulesRecord;
  const kept = keepFiles([
    // Only while its lease holds: once lapsed, another server may have held it (a re-review).
    { path: lock.path, what: 'the data directory\'s lock', text: lock.text, mode: 0o644, when: mayWrite },
    ...(hs !== undefined && hs.source !== 'env' ? [{ path: join(cfg.dataDir, SECRET_FILE), what: 'the receipt secret', text: hs.secret + '\n', mode: 0o600, when: mayWrite }] : []),
    ...(ed25519Key !== undefined ? [{ path: join(cfg.dataDir, ED25519_FILE), what: 'the Ed25519 signing key', text: JSON.stringify(ed25519Key) + '\n', mode: 0o600, when: mayWrite }] : []),
    // Without it the next start cannot tell what changed while the server was stopped.
    { path: join(cfg.dataDir, RULES_IN_FORCE_FILE), what: 'the record of the rules in force', text: () => record.text(), mode: 0o600, when: mayWrite },
  ], cfg.logger, undefined, (keep) => writeBackApiRules(cfg.dataDir, engine, mayWrite, keep));
  // A server paused past the lock's staleness finds another's lock in its place when it runs
  // again (a re-review ran two that way on one log): it stops writing at once, fail closed (its
  // log appends were already refused: `fenced`). Lost before this point (while it started), it
  // is told now (a re-review: a server paused while starting served beside its successor).
  lost.handle = ({ because, holder }) => {
    cfg.logger.error(`${because}; every request that would write is refused from now on (503): restart this server`, { lock: lock.path, ...(holder === undefined ? {} : { holder: holder.trim() }) });
    // Not "shutting down": the server runs on, refusing, until it is restarted (a review).
    void lifecycle.drained(() => new StoreUnavailable(`${because}: restart this server`));
    void reloader?.close();
    kept.cancel(); // the data directory is the other's: nothing written back
  };
  const lostAlready = lock.lost();
  if (lostAlready !== undefined) lost.handle(lostAlready);
  let closing: Promise<{ uncheckpointed: string[] }> | undefined;
  const shutdown = (): Promise<{ uncheckpointed: string[] }> =>
    (closing ??= (async () => {
      // A reload in progress is waited for: it logs its rule changes, which the checkpoints
      // below must cover (a review, 11-27: a reload that ended after the stop logged them past
      // the last checkpoint, or opened a tenant's log anew, after the data dir's lock was let go).
      const reloaded = reloader?.close();
      const drained = lifecycle.drained(); // new work gets 503 from here on
      const closed = server.close(); // no new connections
      await drained; // every check already started is signed, logged and answered
      await closed;
      await reloaded;
      await readiness.settled();
      // Another process holds the data directory now (lost.handle): its logs are that one's to
      // checkpoint, and nothing more is written.
      const lockLost = lock.lost() !== undefined;
      const uncheckpointed = lockLost ? await audit.tenants().catch(() => []) : await keepCheckpoints(audit, cfg.logger);
      // A log that could not be flushed (a removed one not written back) is said after the rest
      // is closed: the nonces and the data dir's lock are released either way.
      const notClosed = await audit.close().then(() => undefined, (err: unknown) => err); // flush
      await nonceStore.close((err) => cfg.logger.error('the used nonces could not be written back to the data directory at the stop (their file was removed or moved away): receipts verified since the start may verify again after the next one, within their TTL', { file: join(cfg.dataDir, NONCES_FILE), error: err }));
      await kept.stop();
      await lock.release();
      if (notClosed !== undefined) throw notClosed;
      return { uncheckpointed, ...(lockLost ? { lockLost: true as const } : {}) };
    })());

  return {
    url: server.url, mode: keys.length === 0 ? 'open-local' : 'keys', keys: { count: keys.length, tenants: keys.length === 0 ? [] : callerTenants(keys) },
    secretSource: source, receiptKid: signer.kid, exposedKeyFiles: await exposedKeyFiles(cfg.dataDir, ed25519 ? ED25519_FILE : hs?.source === 'env' ? undefined : SECRET_FILE), engine, shutdown,
  };
}

/**
 * The signing key file, when group or others may read it (POSIX modes): MGE writes it 0600, but
 * one put there by hand (`openssl rand … > data/secret.key` under umask 022) was used silently
 * (a review). Said, not refused: mounted secrets are often 0644 in a single-user container.
 */
async function exposedKeyFiles(dataDir: string, name: string | undefined): Promise<string[]> {
  if (name === undefined || process.platform === 'win32') return [];
  const file = join(dataDir, name);
  const mode = await stat(file).then((s) => s.mode, () => 0);
  return (mode & 0o077) === 0 ? [] : [`\`${file}\` is open to its group or other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); it signs receipts: \`chmod 600 ${file}\``];
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
class AuditReadiness {
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
async function openExistingLogs(audit: AuditPort, logger: Logger, reported: Map<string, string>): Promise<boolean> {
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
 * Loads the rules added over HTTP before the restart; one that no longer loads stops the start.
 * One whose id a file rule took meanwhile loads, and its tenant's checks are denied (said).
 */
/**
 * Writes back each API rule whose file is gone (as a set PUT keeps it: the JSON of the normalized
 * rule), while no rule change is under way: a PUT or DELETE changes the files and the rules
 * serving in one step of the engine's, so a rule with no file of any format then was removed
 * from outside (`rm -rf data`). Until 11-28 the next start then served without the tenant's API
 * rules and said nothing (a review); a first version looked only for a tenant's folder, which
 * a PUT made again, and raced a DELETE (a re-review).
 */
async function writeBackApiRules(dataDir: string, engine: Engine, mayWrite: () => boolean, keep: KeepFile): Promise<void> {
  // A tenant at a time, so a write-back of many rules (an fsync each) holds other tenants'
  // rule changes no longer than its own (a re-review: 900 rules held a PUT 1.7 s).
  for (const tenant of engine.apiRuleTenants()) {
    await engine.whileUnchanged(async () => {
      const dir = join(dataDir, API_RULES_DIR, tenantDirName(tenant));
      // One listing a tenant a second, not a look at each rule's file in each format.
      const names = new Set(await readdir(dir).catch(() => []));
      for (const rule of engine.apiRulesOf(tenant)) {
        const gone = async () => !API_RULE_FORMATS.some((f) => names.has(`${rule.rule_id}.${f}`));
        await keep({ path: join(dir, `${rule.rule_id}.json`), what: `API rule \`${rule.rule_id}\` of tenant \`${tenant}\``, text: storedRuleText(rule), mode: 0o600, when: mayWrite }, gone);
      }
    });
  }
}

async function replayApiRules(engine: Engine, store: RuleStore, logger: Logger): Promise<void> {
  await store.recover?.(); // a change a crash cut short after its entry is finished first
  const byTenant = new Map<string, StoredRule[]>();
  for (const r of await store.list()) {
    const rules = byTenant.get(r.tenant);
    if (rules === undefined) byTenant.set(r.tenant, [r]);
    else rules.push(r);
  }
  const failed: string[] = [];
  for (const [tenant, rules] of byTenant) {
    // One build per tenant (one per rule made a restart quadratic: 1 600 rules took 26 s).
    const sources = rules.map((r) => ({ text: r.text, format: r.format, path: apiRulePath(tenant, r.ruleId, r.format) }));
    const all = await engine.replayApiRules(tenant, sources).catch((err: unknown) => ({ ok: false as const, error: err }));
    if (!all.ok) failed.push(...await replayOneByOne(engine, rules, logger));
  }
  // Serving without it would drop a rule an admin put in place (a deny that no longer denies):
  // the server does not start until the rule is fixed, put again or removed.
  if (failed.length > 0) {
    throw new SidecarConfigError(`${failed.length === 1 ? 'a stored API rule no longer loads' : `${failed.length} stored API rules no longer load`}: ${failed.join(' | ')}; then start again`);
  }
  logRefusedTenants(engine, logger);
}


/** A tenant's stored rules one at a time, to name each that no longer loads (the start stops then). */
async function replayOneByOne(engine: Engine, rules: StoredRule[], logger: Logger): Promise<string[]> {
  const failed: string[] = [];
  for (const r of rules) {
    const result = await engine.putRule(r.tenant, { text: r.text, format: r.format, path: apiRulePath(r.tenant, r.ruleId, r.format) }).catch((err: unknown) => ({ ok: false as const, error: err }));
    if (result.ok) continue;
    const file = r.where ?? `${r.tenant}/${r.ruleId}.${r.format}`;
    const reason = 'conflict' in result
      ? `a file rule now has its id (${result.conflict.replace(' and is read-only here', '')}; fix: give the file rule another rule_id, or remove \`${file}\`)`
      : `${'diagnostics' in result ? result.diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`).join('; ') : String(result.error)} (fix or remove \`${file}\`)`;
    logger.error('a stored API rule no longer loads', { tenant: r.tenant, rule_id: r.ruleId, reason });
    failed.push(`tenant \`${r.tenant}\` rule \`${r.ruleId}\`: ${reason}`);
  }
  return failed;
}

/**
 * A signed checkpoint for every tenant whose log grew since its last one, kept beside the log,
 * so `mge audit verify --data` after a stop vouches for every entry as a whole. A log that
 * cannot give one (it failed) is logged and skipped: the shutdown goes on. Returns those tenants.
 */
async function keepCheckpoints(audit: AuditPort, logger: Logger): Promise<string[]> {
  const tenants = await audit.tenants().catch(() => [] as string[]);
  const missed: string[] = [];
  for (const tenant of tenants) {
    // A log that failed is tried once more now: a disk that came back a moment ago (a review,
    // 11-27: a tenant whose first write hit a full disk was left empty and unanchored).
    await audit.checkpoint(tenant, { reopenFailedNow: true }).catch((err: unknown) => {
      missed.push(tenant);
      logger.warn('no checkpoint kept at shutdown', { tenant, error: err });
    });
  }
  return missed;
}

/**
 * Whether a request's headers name one of `keys` (node-server's `keyKnown`): the presented key
 * read and hashed as the app's authentication does, synchronously, from Node's own headers.
 */
function knownKeyOf(keys: readonly ApiKey[]): (headers: NodeJS.Dict<string[]>) => boolean {
  return (headers) => {
    const get = (name: string): string | null => headers[name]?.join(', ') ?? null;
    try {
      const key = presentedKey({ get });
      return key !== undefined && key !== '' && keyOfHash(keys, createHash('sha256').update(key, 'utf8').digest()) !== undefined;
    } catch {
      return false; // malformed: the app answers 401
    }
  };
}
