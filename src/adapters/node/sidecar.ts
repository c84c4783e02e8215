// `mge serve` assembled on Node, under the data directory's lock: the engine from the rules
// directory and the API rules kept in the data dir, a receipt signer (HS256 or Ed25519, its key
// given or kept in the data dir), used nonces kept on disk and rate buckets in memory (or both
// in Redis, shared with other instances: MGE_REDIS_URL), the file audit log, the HTTP app on a
// loopback-or-chosen address, hot reload of the rules directory,
// and a graceful shutdown.

import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createEngine, type Engine } from '../../engine/engine.js';
import { callerTenants, parseApiKeys, type ApiKey } from '../../http/api-keys.js';
import { createApp } from '../../http/app.js';
import { keyOfHash, presentedKey } from '../../http/auth.js';
import { refuseOpenModeOffLoopback } from '../../http/open-mode.js';
import { StoreUnavailable } from '../../http/problem.js';
import type { AuditPort } from '../../http/audit-port.js';
import type { RuleStore } from '../../http/rule-store.js';
import { Lifecycle } from '../../http/lifecycle.js';
import type { Logger } from '../../http/logger.js';
import { ServerMetrics } from '../../http/metrics.js';
import type { Signer } from '../../receipt/sign.js';
import { DEFAULT_SKEW_MS } from '../../receipt/verify.js';
import { jsonLimits, type JsonLimits } from '../../json/strict-parse.js';
import { NodeNonceStore, NONCES_FILE } from './nonce-store.js';
import type { NonceStore } from '../../state/nonce-store.js';
import type { RedisState } from './redis-state.js';
import { apiRulesServed, hadFileRules, hadGlobalFileRules, lastRulesInForce, RULES_IN_FORCE_FILE, startRulesRecord, type RulesInForce, type RulesRecord } from './rules-in-force.js';
import { hasGlobalSource, type RuleSource } from '../../rules/load.js';
import { lockDataDir, type DataDirLock, type LockLoss } from './data-dir-lock.js';
import { nodeCryptoBackend } from './crypto.js';
import { preReadBodyOf, requestHostOf } from './body.js';
import { nodeCheckTurn } from './check-turn.js';
import { keepFiles } from './kept-files.js';
import { syncMadeDirs } from './new-file.js';
import { readRulesDirWarned, rulesDirProblem } from './files.js';
import { startRulesReloader } from './reload.js';
import { API_RULES_DIR, nodeRuleStore } from './rule-store.js';
import { tenantDirName } from './tenant-dirs.js';
import type { SecretSource } from './hs256-secret.js';
import { startNodeServer } from './server.js';
import { defaultMaxConnections, FILES_PER_TENANT, openFileLimit } from './connection-cap.js';
import { AuditReadiness, fenced, keepCheckpoints, openExistingLogs } from './audit.js';
import { replayApiRules, writeBackApiRules } from './api-rules-replay.js';
import { refuseDataInRules, refuseLinkedDataDir, removeMadeDirs } from './data-dir-checks.js';
import { SidecarConfigError } from './sidecar-config-error.js';
import { createSidecarSigner, exposedKeyFiles, keptKeyFiles, type SidecarKeyConfig } from './sidecar-keys.js';

// What a refused start throws, for its callers to tell (cli/serve.ts).
export { SidecarConfigError } from './sidecar-config-error.js';

/** The receipt and key settings are SidecarKeyConfig's (node/sidecar-keys.ts), documented there. */
export interface SidecarConfig extends SidecarKeyConfig {
  rulesDir: string;
  host: string;
  port: number;
  /** MGE_API_KEYS; absent or empty: local open mode, loopback only. */
  apiKeys?: string;
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
  /** MGE_REDIS_URL: rate buckets and used nonces in this Redis, shared with other instances (node/redis-state.ts). */
  redisUrl?: string;
  /** MGE_MAX_CONNECTIONS: connections held at once (default: half the open-file limit less two files a tenant known at start, node/connection-cap.ts). */
  maxConnections?: number;
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
  /** Where the shared rate buckets and nonces are (MGE_REDIS_URL without its credentials), if anywhere. */
  redis?: string;
  /** Connections held at once; one past them is closed as it arrives. */
  maxConnections: number;
  engine: Engine;
  /**
   * Stops accepting, finishes checks in flight, keeps a checkpoint per tenant, flushes and
   * closes the audit log; resolves to the tenants no checkpoint could be kept for (a failed log).
   */
  shutdown(): Promise<{ uncheckpointed: string[]; lockLost?: true }>;
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
  const lock = await lockDataDir(cfg.dataDir, {
    onLost: (loss) => lost.handle?.(loss),
    // Said, since every write waits once the lease runs out: until 11-29 a server out of file
    // descriptors answered every check 503 with nothing in its log.
    onUnreadable: (err) => err === undefined
      ? cfg.logger.info('the data directory\'s lock reads back again: writes go on', { dir: cfg.dataDir })
      : cfg.logger.error('the data directory\'s lock cannot be read back; within 5 s of its last reading every write waits (checks, verifications and rule changes 503) until it can', { dir: cfg.dataDir, code: err.code, error: err.message }),
    onUntouchable: (err) => err === undefined
      ? cfg.logger.info('the data directory\'s lock can be touched again: writes go on', { dir: cfg.dataDir })
      : cfg.logger.error('the data directory\'s lock reads back as this server\'s but cannot be touched (a read-only or immutable file system?), so its lease is not renewed; within 5 s every write waits (checks, verifications and rule changes 503) until it can', { dir: cfg.dataDir, code: err.code, error: err.message }),
  });
  try {
    // A data directory made now survives a power cut with what is answered into it.
    if (made !== undefined) await syncMadeDirs(dataPath, made);
    await refuseLinkedDataDir(cfg.dataDir);
    // Loaded only when asked for: a server without it never loads the Redis client.
    const shared = cfg.redisUrl === undefined ? undefined : await (await import('./redis-state.js')).connectRedisState(cfg.redisUrl, cfg.logger, cfg.skewMs ?? DEFAULT_SKEW_MS);
    try {
      return await serveHoldingLock(cfg, keys, lock, lost, shared);
    } catch (err) {
      await shared?.close();
      throw err;
    }
  } catch (err) {
    await lock.release().catch(() => undefined); // the start's own failure is the one to tell
    throw err;
  }
}

/** What the server does if it loses its lock (set once it serves). */
interface LockLost {
  handle?: (loss: LockLoss) => void;
}

async function serveHoldingLock(cfg: SidecarConfig, keys: ApiKey[], lock: DataDirLock, lost: LockLost, shared: RedisState | undefined): Promise<Sidecar> {
  // Asked right before every write into the data directory: the audit log's, checkpoints',
  // nonces', API rules' and the rules-in-force record's (else a server woken after another
  // took its lock finishes a reload and replaces the other's record).
  const mayWrite = (): boolean => lock.fresh();

  const signingKeys = await createSidecarSigner(cfg);
  const { signer, hs } = signingKeys;
  const read = await readRulesDirWarned(cfg.rulesDir);
  const lastRecord = await lastRulesInForce(cfg.dataDir, cfg.logger); // read once: checked here, compared below
  const ruleStore = nodeRuleStore(cfg.dataDir, { mayWrite });
  await refuseRulesGone(cfg.rulesDir, read.sources, lastRecord, ruleStore);
  refuseApiRulesGone(cfg.dataDir, lastRecord);
  const limits = jsonLimits(cfg.limits); // one set, so the HTTP parser and the engine never disagree
  const engine = await createEngine({
    // No rule file only with API rules kept in the data dir (refuseRulesGone): they are replayed below.
    rules: read.sources, allowNoRules: read.sources.length === 0, sourceWarnings: read.warnings, crypto: nodeCryptoBackend, ...(shared === undefined ? {} : { rateLimiter: shared.rateLimiter }),
    limits: { maxDepth: limits.maxDepth, maxStringBytes: limits.maxStringBytes, maxArrayItems: limits.maxArrayItems },
  });
  await replayApiRules(engine, ruleStore, cfg.logger);
  // Used nonces outlive a restart: in the data dir, or in Redis.
  const nonceFile = shared === undefined ? await NodeNonceStore.open(cfg.dataDir, { skewMs: cfg.skewMs ?? DEFAULT_SKEW_MS, mayWrite }) : undefined;
  const nonceStore: NonceStore = shared?.nonceStore ?? nonceFile!;
  const audit = fenced(await cfg.openAudit(cfg.dataDir, signer, { keysInDataDir: hs?.source !== 'env', mayWrite }).catch(async (err: unknown) => {
    await nonceFile?.close();
    throw err;
  }), mayWrite);
  // The logs already on disk are opened now rather than on their tenant's first check, so
  // /readyz can say whether they all opened: one that does not (damaged, or no longer matching
  // its newest checkpoint) is named in the log here, and its tenant's checks get 503.
  const reported = new Map<string, string>();
  const readiness = new AuditReadiness(() => openExistingLogs(audit, cfg.logger, reported), () => audit.usable(), cfg.logger);
  const lifecycle = new Lifecycle(cfg.maxInflight, mayWrite);
  const metrics = new ServerMetrics();
  // The tenants with a log in the data directory: their descriptors are kept out of the cap,
  // and rules changed since the last run are logged to them before the first check.
  const logged = await audit.tenants().catch(() => []);
  const knownTenants = new Set([...callerTenants(keys), ...logged]).size;
  const fileLimit = openFileLimit();
  const maxConnections = cfg.maxConnections ?? defaultMaxConnections(fileLimit, knownTenants);
  if (fileLimit !== undefined && FILES_PER_TENANT * knownTenants > fileLimit / 2) {
    cfg.logger.warn(`${knownTenants} tenants' audit logs need about ${FILES_PER_TENANT * knownTenants} of this process's ${fileLimit} open files: raise the limit (ulimit -n, LimitNOFILE=), or a tenant's log may not open`, { tenants: knownTenants, open_file_limit: fileLimit, max_connections: maxConnections });
  }
  if (shared !== undefined) metrics.sharedStateUp = () => shared.ready();
  /** Kept after every rule change this run logs (set before the server listens). */
  let rulesRecord: RulesRecord | undefined;
  const app = createApp({
    engine, signer, audit, keys, lifecycle, metrics, ruleStore, logger: cfg.logger,
    nonceStore, crypto: nodeCryptoBackend, ...(cfg.version !== undefined ? { version: cfg.version } : {}), ...(cfg.skewMs !== undefined ? { skewMs: cfg.skewMs } : {}), limits, preReadBody: preReadBodyOf, requestHost: requestHostOf, checkTurn: nodeCheckTurn(), urlChecked: true,
    ready: () => mayWrite() && readiness.ready() && (shared?.ready() ?? true), // false once the lock is lost, too
    dead: () => {
      const loss = lock.lost();
      return loss === undefined ? undefined : `${loss.because}: restart this server`;
    },
    rulesChanged: () => rulesRecord?.note(),
  });

  let server;
  try {
    // Rules changed since the last run recorded them are logged before the first check.
    rulesRecord = await startRulesRecord({
      dataDir: cfg.dataDir, before: lastRecord, engine, audit, logger: cfg.logger, now: Date.now, mayWrite,
      tenants: [...new Set([...callerTenants(keys), ...engine.tenants(), ...logged])].sort(),
    });
    metrics.connectionsRefused.inc({}, 0); // a series from the start, at 0
    server = await startNodeServer(app.fetch, {
      host: cfg.host, port: cfg.port, maxBodyBytes: limits.maxBytes, ...(keys.length > 0 ? { keyKnown: knownKeyOf(keys) } : {}),
      answeredAlone: (status) => metrics.responses.inc({ status: String(status) }),
      maxConnections, refused: refusedConnections(metrics, cfg.logger, maxConnections),
      cutUnanswered: (connections) => cfg.logger.warn('shutdown cut connections at its hard close with a request in progress or an answer unsent (an export, say, or a check whose decision may then be in the log without its client having it)', { connections }),
    });
  } catch (err) {
    await readiness.settled();
    // What the start logged (the rules in force) is checkpointed, as at a stop: a start that
    // failed to bind (a port in use, a host that does not resolve) left it uncovered, and the
    // next start warned of each entry as a rule change to check.
    if (rulesRecord !== undefined) await keepCheckpoints(audit, cfg.logger);
    await audit.close();
    await nonceFile?.close();
    throw err;
  }
  metrics.connectionsOpen = server.connections;
  const reloader = cfg.watch === false ? undefined : startRulesReloader({
    dir: cfg.rulesDir, engine, metrics, logger: cfg.logger, audit, rulesRecord,
    callerTenants: callerTenants(keys),
  });

  // Started last: nothing after it can fail the start and leave it writing the lock back.
  const record = rulesRecord;
  const keepNonces = nonceFile && keepNoncesFile(nonceFile, join(cfg.dataDir, NONCES_FILE), mayWrite, cfg.logger);
  const kept = keepFiles([
    // Only while its lease holds: once lapsed, another server may have held it.
    { path: lock.path, what: 'the data directory\'s lock', text: lock.text, mode: 0o644, when: mayWrite },
    ...keptKeyFiles(cfg.dataDir, signingKeys, mayWrite),
    // Without it the next start cannot tell what changed while the server was stopped.
    { path: join(cfg.dataDir, RULES_IN_FORCE_FILE), what: 'the record of the rules in force', text: () => record.text(), mode: 0o600, when: mayWrite },
  ], cfg.logger, undefined, async (keep) => {
    await keepNonces?.();
    await writeBackApiRules(cfg.dataDir, engine, mayWrite, keep);
  });
  // A server paused past the lock's staleness finds another's lock in its place when it runs
  // again (two on one log otherwise): it stops writing at once, fail closed (its
  // log appends were already refused: `fenced`). Lost before this point (while it started), it
  // is told now (else a server paused while starting serves beside its successor).
  lost.handle = ({ because, holder }) => {
    cfg.logger.error(`${because}; every request that would write is refused from now on (503): restart this server`, { lock: lock.path, ...(holder === undefined ? {} : { holder: holder.trim() }) });
    // Not "shutting down": the server runs on, refusing, until it is restarted.
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
      // below must cover (else a reload that ends after the stop logs them past the last
      // checkpoint, or opens a tenant's log anew, after the data dir's lock was let go).
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
      await nonceFile?.close((err) => cfg.logger.error('the used nonces could not be written back to the data directory at the stop (their file was removed or moved away): receipts verified since the start may verify again after the next one, within their TTL', { file: join(cfg.dataDir, NONCES_FILE), error: err }));
      await shared?.close();
      await kept.stop();
      // A read-only data directory at the stop: said, not a stack trace (the next start on this
      // host takes a lock whose process is gone over).
      await lock.release().catch((err: unknown) => cfg.logger.warn('the data directory\'s lock could not be removed at the stop; the next start on this host takes it over, its process gone, once it can write there', { lock: lock.path, error: err }));
      if (notClosed !== undefined) throw notClosed;
      return { uncheckpointed, ...(lockLost ? { lockLost: true as const } : {}) };
    })());

  return {
    url: server.url, mode: keys.length === 0 ? 'open-local' : 'keys', keys: { count: keys.length, tenants: keys.length === 0 ? [] : callerTenants(keys) },
    secretSource: hs?.source ?? 'data-dir', receiptKid: signer.kid, exposedKeyFiles: await exposedKeyFiles(cfg.dataDir, signingKeys), engine, shutdown, maxConnections,
    ...(shared === undefined ? {} : { redis: shared.location }),
  };
}

/** How long the log keeps quiet about refused connections after saying so (one line, not one a connection). */
const REFUSED_NOTE_EVERY_MS = 10_000;

/**
 * Counts each connection refused at the cap, and says so in the log: at once after a quiet
 * spell, then every 10 s while more are refused, with how many since the last line.
 */
function refusedConnections(metrics: ServerMetrics, logger: Logger, max: number): () => void {
  let unsaid = 0;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  const say = (): void => {
    if (unsaid === 0) return void (quiet = undefined);
    logger.warn('connections refused: this server holds as many as it may (MGE_MAX_CONNECTIONS); a client that opens many and keeps them, or too low a cap for the callers', { max_connections: max, refused: unsaid });
    unsaid = 0;
    quiet = setTimeout(say, REFUSED_NOTE_EVERY_MS);
    quiet.unref();
  };
  return () => {
    metrics.connectionsRefused.inc();
    unsaid++;
    if (quiet === undefined) say();
  };
}

/**
 * Refuses a start whose rules directory lost rules the last run served. A start between the two
 * steps of a deploy (`rm rules/*; cp new/* rules/`) finds no rule file; started, it approved
 * every check until the copy landed: refused, as a reload is. So is a first start on an empty
 * directory (a volume that was not mounted, a wrong path: every check would be approved).
 */
async function refuseRulesGone(rulesDir: string, sources: readonly RuleSource[], lastRecord: RulesInForce | undefined, ruleStore: RuleStore): Promise<void> {
  // Rules kept through the API alone are a deployment of their own (else such a one does not
  // restart, told that every check would be approved, which is untrue).
  const midDeploy = hadFileRules(lastRecord);
  if (sources.length === 0 && (midDeploy || (await ruleStore.list()).length === 0)) {
    const why = midDeploy ? 'but the last run served rule files (a deploy caught between removing and copying them?)' : 'and the data directory keeps no API rule, so every check would be approved (a volume not mounted, a wrong path?)';
    throw new SidecarConfigError(`the rules directory \`${rulesDir}\` holds no rule file, ${why}; to start with no rules, leave a file holding \`rules: []\``);
  }
  // The baseline alone gone, tenant folders left (`rm rules/*` keeps `tenants/`): every tenant
  // would lose its global rules. No source at all was refused just above.
  if (!hasGlobalSource(sources) && hadGlobalFileRules(lastRecord)) {
    throw new SidecarConfigError(`the rules directory \`${rulesDir}\` holds no global rule file (only \`tenants/\`), but the last run served global rules (a deploy caught between removing and copying them?); to start without them, leave a file holding \`rules: []\` at its top`);
  }
}

/**
 * The used nonces' file written back within a second of its removal, as the other kept files
 * are (NodeNonceStore.writeBackIfGone): else a crash before the next verification and every
 * receipt verified since the start verified again. A failure is said once until one succeeds.
 */
function keepNoncesFile(store: NodeNonceStore, file: string, mayWrite: () => boolean, logger: Logger): () => Promise<void> {
  let failing = false;
  return async () => {
    if (!mayWrite()) return;
    try {
      if (await store.writeBackIfGone()) logger.warn('the used nonces file was removed, moved away, cut short or overwritten while the server ran; written back', { file });
      failing = false;
    } catch (err) {
      if (!failing) logger.error('the used nonces file was removed, moved away, cut short or overwritten while the server ran and could not be written back: receipts verified since the start may verify again after a restart, within their TTL', { file, error: err });
      failing = true;
    }
  };
}

/**
 * The last run served rules put through the API for a tenant, and its folder under
 * `<data>/api-rules/` is gone: a cleanup of the data directory (`rm -rf data/api-rules`, or
 * `…/api-rules/*`), not changes made through the API (each of those is logged as it is made,
 * and the last one leaves the record without API rules). Started, every such deny rule was
 * dropped with an info line (a fault-injection review, 11-29: a denied action approved). An
 * empty folder is the way to start without them: their removal is then logged in the tenant's
 * log, as any change made while stopped is.
 */
function refuseApiRulesGone(dataDir: string, lastRecord: RulesInForce | undefined): void {
  const { tenants } = apiRulesServed(lastRecord);
  const gone = tenants.filter((t) => !existsSync(join(dataDir, API_RULES_DIR, tenantDirName(t))));
  if (gone.length === 0) return;
  const dirs = gone.map((t) => join(dataDir, API_RULES_DIR, tenantDirName(t)));
  throw new SidecarConfigError(`the data directory \`${dataDir}\` keeps no folder of API rules for tenant${gone.length === 1 ? '' : 's'} ${gone.map((t) => `\`${t}\``).join(', ')}, but the last run served rules put through the API for ${gone.length === 1 ? 'it' : 'them'}: removed by a cleanup? put ${gone.length === 1 ? 'it' : 'them'} back from a backup; to start without them, make ${gone.length === 1 ? 'it' : 'each'} empty (\`mkdir -p ${dirs.join(' ')}\`), and their removal is logged in the tenant's audit log`);
}

/**
 * Whether a request's headers name one of `keys` (server.ts's `keyKnown`): the presented key
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
