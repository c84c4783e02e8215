// `mge serve [--rules DIR] [--host H] [--port N] [--data DIR]` (SPEC §9). Flags win over the
// environment (MGE_RULES_DIR, MGE_HOST, MGE_PORT, MGE_DATA_DIR, MGE_SECRET_KEY, MGE_API_KEYS;
// beyond SPEC §9: MGE_RECEIPT_ALG = HS256 | Ed25519, MGE_AUDIT_FSYNC = always | never,
// MGE_PREVIOUS_SECRET_KEYS = secrets before a rotation, MGE_RECEIPT_TTL_SECONDS and
// MGE_CLOCK_SKEW_SECONDS = SPEC §5's receipt TTL and skew allowance, MGE_MAX_BODY_BYTES,
// MGE_MAX_DEPTH, MGE_MAX_STRING_BYTES, MGE_MAX_ARRAY_ITEMS = SPEC §2's request limits).
// Runs until SIGTERM or SIGINT, then shuts down gracefully and returns 0.

import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { openNodeAudit } from '../adapters/node/audit.js';
import { SidecarConfigError, startSidecar, type Sidecar } from '../adapters/node/sidecar.js';
import { formatDiagnostic, underDir } from '../diagnostics/format.js';
import { tenantNameNote } from './tenant-note.js';
import { RuleLoadError } from '../engine/engine.js';
import { ApiKeySpecError } from '../http/api-keys.js';
import { jsonLogger, type Logger } from '../http/logger.js';
import inspector from 'node:inspector';
import { KeyError } from '../receipt/keys.js';
import { DEFAULT_TTL_MS, MAX_TTL_MS } from '../receipt/sign.js';
import { DEFAULT_SKEW_MS } from '../receipt/verify.js';
import { credentialSetting, envSetting, parseArgs, stringFlag, UsageError } from './args.js';
import { limitsText, requestLimitsFrom, wholeNumberSetting } from './request-limits.js';

// Unset, empty or blank is the default, as for every setting but the credentials (envSetting).
/** The setting `name` as one of `choices`; the first when it is unset or blank. */
function oneOf<T extends string>(name: string, value: string | undefined, choices: readonly [T, ...T[]]): T {
  const text = envSetting(value);
  if (text === undefined) return choices[0];
  const chosen = choices.find((c) => c === text);
  if (chosen === undefined) throw new UsageError(`${name} \`${text}\` is not ${choices.join(' or ')}`);
  return chosen;
}

/**
 * A number of seconds (whole, or to the millisecond: `0.5`) as milliseconds, from `min` to
 * `max` ms; `fallback` when unset. Anything else is a usage error, never a default in its place.
 */
function seconds(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  const given = envSetting(text);
  if (given === undefined) return fallback;
  const m = /^(\d{1,7})(?:\.(\d{1,3}))?$/.exec(given.trim());
  const ms = m === null ? NaN : Number(m[1]) * 1000 + Number((m[2] ?? '').padEnd(3, '0'));
  if (!(ms >= min && ms <= max)) throw new UsageError(`${name} \`${given}\` is not a number of seconds from ${min / 1000} to ${max / 1000}`);
  return ms;
}

function port(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`port \`${text}\` is not a number from 0 to 65535`);
  return Number(text);
}

/**
 * The address to bind: `[::1]` (an IPv6 address as URLs write it) is `::1`; a URL is refused
 * (`http://127.0.0.1` reached the resolver and failed as ENOTFOUND).
 */
function host(text: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw new UsageError(`host \`${text}\` is a URL; give a host name or address, e.g. \`127.0.0.1\` or \`::1\``);
  const bracketed = /^\[([0-9a-fA-F:.]+)\]$/.exec(text);
  if (bracketed !== null) return bracketed[1];
  // `127.0.0.1:8080` or `localhost:8080` reached the resolver and failed as a bare ENOTFOUND.
  if (/^[^:]+:\d+$/.test(text) || /^\[.*\]:\d+$/.test(text)) throw new UsageError(`host \`${text}\` holds a port; give the port with --port or MGE_PORT`);
  if (/[\s[\]/]/.test(text)) throw new UsageError(`host \`${text}\` is not a host name or address, e.g. \`127.0.0.1\`, \`::1\` or \`[::1]\``);
  return text;
}

/**
 * Resolves on the first SIGTERM, SIGINT or SIGHUP (a closed terminal or SSH session: Node's
 * default for it ended the process at once, checks in flight reset and no checkpoint kept).
 * Later ones are said while the server drains and ignored, up to the process's end
 * (`stopped()`: the drain is over, nothing more to say): otherwise a second signal (a
 * supervisor repeating its TERM, a second Ctrl-C) would end the process at once, exit 130,
 * with checks in flight reset and no checkpoint kept. SIGKILL still stops it at once.
 */
function stopSignal(): { signal: Promise<string>; stopped: () => void } {
  let first: string | undefined;
  let over = false;
  let done: (signal: string) => void = () => {};
  const on = (signal: string): void => {
    if (first === undefined) {
      first = signal;
      done(signal);
    } else if (!over) {
      process.stderr.write(`mge: ${signal}: already stopping (finishing checks in flight, flushing the audit log); SIGKILL stops at once\n`);
    }
  };
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  process.on('SIGHUP', on);
  return { signal: new Promise((resolve) => (done = resolve)), stopped: () => void (over = true) };
}

/**
 * SIGUSR1 and SIGUSR2 are said and ignored. Node's defaults: SIGUSR1 opened its inspector on
 * 127.0.0.1:9229, unauthenticated, so any local user could then run code in the server (read
 * its keys, sign decisions; a review, 11-29: a logrotate `postrotate kill -USR1` is enough);
 * SIGUSR2 ended the process at once, checks in flight reset and no checkpoint kept. A listener
 * keeps Node from opening the inspector. To debug, start Node with `--inspect`.
 */
function ignoreStraySignals(logger: Logger): void {
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) {
    process.on(signal, () => logger.warn(`${signal} ignored: mge serve neither opens Node's inspector nor stops on it (SIGTERM stops it; to debug, start Node with --inspect)`, { signal }));
  }
  // A SIGUSR1 in Node's first moments, before bin/mge.js could listen (~70 ms), opened it
  // already (a re-review). Said, not closed: an editor's debugger opens it the same way (VS
  // Code's bootloader, through NODE_OPTIONS=--require), and on Node 20 close() waits for every
  // attached debugger to leave, so the start hung while one was attached (a re-review).
  const asked = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--inspect(-brk|-wait)?(=|$)/.test(a));
  const url = inspector.url();
  if (!asked && url !== undefined) {
    logger.error('Node\'s inspector is open with no --inspect given (a SIGUSR1 as the process started, or an editor\'s debugger): any local user can run code in this server through it; restart it unless you are debugging it', { inspector: url });
  }
}

/**
 * Writes to stdout until a write fails (its reader went away: EPIPE), then drops what follows.
 * Without an 'error' listener the failed write would end the process in the middle of whatever
 * request logged. These logs are the operator's; the audit log keeps every decision, so the
 * checks go on, and stderr says once that the logs stopped.
 * A reader that stops reading without closing (a stalled log shipper) is met likewise: past
 * STDOUT_BACKLOG_BYTES queued, lines are dropped and counted, and once the queue drains a line
 * says how many (100 000 refused requests grew the queue, and the process, by 140 MB and
 * counting). `out` and `backlogBytes` are for tests.
 */
export function stdoutWriter(out: Writable = process.stdout, backlogBytes = STDOUT_BACKLOG_BYTES): (text: string) => void {
  let closed = false;
  let dropped = 0;
  out.on('drain', () => {
    if (dropped === 0 || closed) return;
    const line = { time: new Date().toISOString(), level: 'warn', msg: 'log lines dropped: stdout was not read fast enough', dropped };
    dropped = 0;
    out.write(JSON.stringify(line) + '\n');
  });
  if (!process.stderr.listeners('error').includes(ignore)) process.stderr.on('error', ignore); // nowhere left to say anything
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (closed) return;
    closed = true;
    process.stderr.write(`mge: stdout is closed (${err.code ?? err.message}); structured logs are dropped from now on, checks go on\n`);
  });
  return (text) => {
    if (closed) return;
    if (out.writableLength > backlogBytes) dropped++;
    else out.write(text);
  };
}

const ignore = (): void => {};

/** Log text held for a slow stdout reader, at most (a few thousand lines at the most a server logs). */
const STDOUT_BACKLOG_BYTES = 1 << 20;

export const SERVE_USAGE = `usage: mge serve [--rules DIR] [--host H] [--port N] [--data DIR]
  defaults: ./rules, 127.0.0.1, 8080, ./data (or MGE_RULES_DIR, MGE_HOST, MGE_PORT, MGE_DATA_DIR)
  MGE_API_KEYS               tenant:role[+role]:key,… (unset: open local mode, loopback only)
  MGE_SECRET_KEY             HS256 receipt secret (unset: generated once, kept in the data dir)
  MGE_PREVIOUS_SECRET_KEYS   secrets before a rotation, still accepted for verification
  MGE_PREVIOUS_JWKS          a JWKS file of Ed25519 public keys before a rotation, likewise
  MGE_RECEIPT_ALG            HS256 (default) | Ed25519 (key kept in the data dir)
  MGE_AUDIT_FSYNC            always (default) | never
  MGE_REDIS_URL              redis://[user:password@]host[:port][/db]: rate limits and used
                             nonces shared with other instances (unset: this instance's own)
  MGE_RECEIPT_TTL_SECONDS    how long a receipt is valid (default 60; at most 3600)
  MGE_CLOCK_SKEW_SECONDS     clock skew allowed when verifying receipts (default 5)
  MGE_MAX_BODY_BYTES, MGE_MAX_DEPTH, MGE_MAX_STRING_BYTES, MGE_MAX_ARRAY_ITEMS
                             request limits (defaults 65536, 32, 8192, 1024)
  MGE_MAX_CONNECTIONS        connections held at once; more are closed as they arrive
                             (default: half the open-file limit less two files a tenant)`;

/** The most MGE_MAX_CONNECTIONS may say: more than any open-file limit a system gives a process. */
const MAX_CONNECTIONS = 1 << 24;

/** Made once per process: tests call serveCommand more than once. */
let stdout: ((text: string) => void) | undefined;

export async function serveCommand(argv: string[]): Promise<number> {
  const env = process.env;
  const out = (stdout ??= stdoutWriter());
  const logger = jsonLogger((line) => out(line + '\n'));
  ignoreStraySignals(logger);
  let sidecar: Sidecar;
  let dataDir: string | undefined;
  let stopped: ReturnType<typeof stopSignal>;
  let rulesDir = '';
  /** The rules directory as given: diagnostics name files from it, as `mge lint DIR` and `mge check` do. */
  let rulesGiven = '';
  let fsyncNever = false;
  try {
    const args = parseArgs(argv, { values: ['rules', 'host', 'port', 'data'] });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument \`${args.positionals[0]}\``);
    rulesGiven = stringFlag(args, 'rules') ?? envSetting(env.MGE_RULES_DIR) ?? './rules';
    rulesDir = resolve(rulesGiven);
    dataDir = resolve(stringFlag(args, 'data') ?? envSetting(env.MGE_DATA_DIR) ?? './data');
    const fsync = oneOf('MGE_AUDIT_FSYNC', env.MGE_AUDIT_FSYNC, ['always', 'never']);
    fsyncNever = fsync === 'never';
    const alg = oneOf('MGE_RECEIPT_ALG', env.MGE_RECEIPT_ALG, ['HS256', 'Ed25519']);
    const receiptTtlMs = seconds('MGE_RECEIPT_TTL_SECONDS', env.MGE_RECEIPT_TTL_SECONDS, DEFAULT_TTL_MS, 1, MAX_TTL_MS);
    const skewMs = seconds('MGE_CLOCK_SKEW_SECONDS', env.MGE_CLOCK_SKEW_SECONDS, DEFAULT_SKEW_MS, 0, MAX_TTL_MS);
    const limits = requestLimitsFrom(env);
    const maxConnections = wholeNumberSetting('MGE_MAX_CONNECTIONS', env.MGE_MAX_CONNECTIONS, 1, MAX_CONNECTIONS);
    sidecar = await startSidecar({
      // As given: what the reader says of a file (a README read as a rule, a link cycle) names
      // it from there, as check and lint do; the banner shows where that is.
      rulesDir: rulesGiven, dataDir,
      host: host(stringFlag(args, 'host') ?? envSetting(env.MGE_HOST) ?? '127.0.0.1'),
      port: port(stringFlag(args, 'port') ?? envSetting(env.MGE_PORT) ?? '8080'),
      // Read for HS256 only: Ed25519 signs with the data dir's key and ignores it, set or not.
      secret: alg === 'HS256' ? credentialSetting('MGE_SECRET_KEY', env.MGE_SECRET_KEY, 'the secret kept in the data directory (made at the first start)') : undefined,
      previousSecrets: env.MGE_PREVIOUS_SECRET_KEYS, previousJwks: envSetting(env.MGE_PREVIOUS_JWKS),
      apiKeys: credentialSetting('MGE_API_KEYS', env.MGE_API_KEYS, 'the open local mode (every local caller is tenant `default` with all roles)'),
      receiptAlg: alg, receiptTtlMs, skewMs, limits, ...(maxConnections === undefined ? {} : { maxConnections }),
      redisUrl: credentialSetting('MGE_REDIS_URL', env.MGE_REDIS_URL, 'rate limits and used nonces kept by this instance alone'),
      logger, openAudit: (dir, signer, { keysInDataDir, mayWrite }) => openNodeAudit(dir, signer, { fsync, logger, dataDirKeys: keysInDataDir, mayWrite }),
    });
    // Listen for the stop signal before saying we listen: a supervisor may send SIGTERM as soon
    // as it reads that line, and without a listener Node would die at once, with no drain.
    stopped = stopSignal();
    const { engine } = sidecar;
    const ruleCount = engine.ruleCount();
    // What lint would warn of (an advisory bullet is never enforced): said at start too.
    const warnings = engine.loadWarnings;
    for (const d of warnings) process.stderr.write(formatDiagnostic(underDir(rulesGiven, d)) + '\n');
    for (const w of sidecar.exposedKeyFiles) process.stderr.write(`mge: warning: ${w}\n`);
    for (const t of sidecar.keys.tenants) {
      const note = tenantNameNote(t, engine.tenants());
      if (note !== undefined) process.stderr.write(`mge: warning: MGE_API_KEYS: ${note}\n`);
    }
    // Before the lines on stdout, as the other warnings: a reader that waits for `listening on`
    // has them all then (a test read stderr as soon as it saw that line, and once missed this).
    const secret = env.MGE_SECRET_KEY;
    if (alg === 'HS256' && secret !== undefined && secret !== '' && secret !== secret.trim()) {
      process.stderr.write('mge: warning: MGE_SECRET_KEY begins or ends with white space (a newline from a mounted file?); it is used byte for byte, so another replica given it trimmed signs under another key id\n');
    }
    const keys = sidecar.keys;
    out(
      `mge: listening on ${sidecar.url}\n` +
        (sidecar.mode === 'open-local'
          ? 'mge: mode: open local (no API key configured: every request is tenant `default` with all roles; loopback only)\n'
          : `mge: mode: API keys (MGE_API_KEYS: ${keys.count} ${keys.count === 1 ? 'key' : 'keys'}; ${keys.tenants.length === 1 ? 'tenant' : 'tenants'} ${keys.tenants.join(', ')})\n`) +
        `mge: rules: ${rulesDir} (${ruleCount} ${ruleCount === 1 ? 'rule' : 'rules'}${warnings.length === 0 ? '' : `, ${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'} on stderr`}; watched; a bad edit is logged and ignored)\n` +
        (ruleCount === 0 ? 'mge: warning: no rules loaded: every check is approved until rules are added\n'
          : engine.policy().rules.length === 0 ? 'mge: warning: no global rules: tenant `default`, and any tenant without rules of its own, is checked against none (every check approved)\n' : '') +
        (sidecar.redis === undefined ? '' : `mge: shared state: rate limits and used nonces in Redis at ${sidecar.redis} (MGE_REDIS_URL)\n`) +
        `mge: data: ${dataDir} (audit log${alg === 'Ed25519' ? ', Ed25519 signing key' : sidecar.secretSource === 'env' ? '' : ', receipt secret'})\n` +
        // What an operator tuned, and what a replica beside this one must show alike (hidden,
        // a secret with a trailing newline signed under another kid unnoticed).
        `mge: receipts: ${alg}, key id ${sidecar.receiptKid}, valid ${receiptTtlMs / 1000} s, verify skew ${skewMs / 1000} s; audit log fsync: ${fsync}` +
        `${Object.keys(limits).length === 0 ? '' : `; request limits: ${limitsText(limits)}`}\n` +
        `mge: connections: at most ${sidecar.maxConnections} at once (${maxConnections === undefined ? 'half the open-file limit less two files a tenant; ' : ''}MGE_MAX_CONNECTIONS)\n`,
    );
  } catch (err) {
    if (err instanceof RuleLoadError) {
      for (const d of err.diagnostics) process.stderr.write(formatDiagnostic(underDir(rulesGiven, d)) + '\n');
      process.stderr.write('mge serve: the rules have errors; not started\n');
    } else if (err instanceof UsageError) {
      process.stderr.write(`mge serve: ${err.message}\n${SERVE_USAGE}\n`);
    } else if (err instanceof SidecarConfigError || err instanceof ApiKeySpecError || err instanceof KeyError) {
      process.stderr.write(`mge serve: ${err.message}\n`);
    } else if (unwritableData(err, dataDir)) {
      // A raw `EROFS … mge.lock.<pid>.<hex>.tmp` named a file the user never made.
      process.stderr.write(`mge serve: the data directory \`${dataDir}\` cannot be written (${(err as Error).message}); it keeps the audit log, the used nonces and the receipt key, so it must be writable by this user (a read-only volume, a mount without write permission?)\n`);
    } else if ((err as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE') {
      process.stderr.write(`mge serve: ${(err as Error).message}: another process (another \`mge serve\`?) listens there; stop it, or give another port (\`--port N\` or MGE_PORT)\n`);
    } else if (['ENOTFOUND', 'EAI_AGAIN'].includes((err as NodeJS.ErrnoException | null)?.code ?? '')) {
      process.stderr.write(`mge serve: ${(err as Error).message}: the host (\`--host\` or MGE_HOST) does not resolve to an address of this machine; give an address, e.g. \`127.0.0.1\`\n`);
    } else if (dataPathIsFile(err, dataDir)) {
      // Plainer than a bare `EEXIST: file already exists, mkdir …`.
      process.stderr.write(`mge serve: the data directory \`${dataDir}\`, or a folder on its way, is a file, not a directory (\`--data\` or MGE_DATA_DIR)\n`);
    } else {
      process.stderr.write(`mge serve: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    return 2;
  }

  // A failure inside one request is answered by the app; anything that still escapes is logged
  // here rather than taking down every other request with the process.
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: reason }));

  const signal = await stopped.signal;
  logger.info('shutting down: no new requests; finishing checks in flight', { signal });
  let uncheckpointed: string[];
  let lockLost: true | undefined;
  try {
    ({ uncheckpointed, lockLost } = await sidecar.shutdown());
  } finally {
    stopped.stopped();
  }
  if (lockLost) logger.warn('stopped; this server had lost its data directory lock (see above), so no checkpoint was kept and nothing more written', { data: dataDir });
  else if (uncheckpointed.length === 0) logger.info(fsyncNever ? 'stopped; audit log written (MGE_AUDIT_FSYNC=never: not synced to the disk)' : 'stopped; audit log flushed', { data: dataDir });
  else logger.warn('stopped; these tenants have no checkpoint: their log failed or was refused (see above for what it holds and what it lacks)', { data: dataDir, tenants: uncheckpointed });
  return 0;
}

/** Whether `err` is the data directory failing to be made because it, or a folder on its way, is a file. */
function dataPathIsFile(err: unknown, dataDir: string | undefined): boolean {
  const e = err as NodeJS.ErrnoException | null;
  return dataDir !== undefined && e?.syscall === 'mkdir' && (e.code === 'EEXIST' || e.code === 'ENOTDIR') && e.path === dataDir;
}

/** Whether `err` is the data directory refusing a write (read-only, or not this user's). */
function unwritableData(err: unknown, dataDir: string | undefined): boolean {
  const e = err as NodeJS.ErrnoException | null;
  // A recursive mkdir under a read-only mount says ENOENT, not EROFS.
  const refused = ['EROFS', 'EACCES', 'EPERM'].includes(e?.code ?? '') || (e?.code === 'ENOENT' && e.syscall === 'mkdir');
  return dataDir !== undefined && refused && typeof e?.path === 'string' && e.path.startsWith(dataDir);
}
