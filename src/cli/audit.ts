// `mge audit verify --data DIR | --export FILE [--checkpoint FILE] [--jwks FILE] [--tenant T]
// [--unanchored]` (SPEC §9): exit 0 only if every entry, root and checkpoint verifies and a
// checkpoint anchors the log; 1 when something does not, with one line per problem; 2 on usage
// errors.
//
// Keys: MGE_SECRET_KEY, MGE_PREVIOUS_SECRET_KEYS and `--jwks FILE`; the data dir's
// `secret.key` and `ed25519.jwk` only when neither MGE_SECRET_KEY nor `--jwks` pins the keys.

import { createReadStream, createWriteStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nodeCryptoBackend } from '../adapters/node/crypto.js';
import { dataDirVerificationKeys } from '../adapters/node/data-dir-keys.js';
import { jwksFileKeys } from '../adapters/node/jwks-file.js';
import { AUDIT_DIR, LOG_FILE, NodeAuditStoreFactory } from '../adapters/node/audit-store.js';
import { refuseWhileSetAside } from '../adapters/node/log-write-back.js';
import { CHECKPOINTS, keptCheckpointLines } from '../adapters/node/checkpoint-file.js';
import { scanLines } from '../adapters/node/line-scan.js';
import { isTenantDirName, tenantDirName } from '../adapters/node/tenant-dirs.js';
import { readIfPresent, whatIsThere } from '../adapters/node/new-file.js';
import { isCheckpoint, notACheckpoint, readCheckpointText, tornCheckpointOf, type TornCheckpoint } from '../audit/checkpoint.js';
import { verifyLog, type LogReport, type VerifyLogInput } from '../audit/verify.js';
import { KeyError, KeyRing, hs256VerificationKeys, importHs256Secret } from '../receipt/keys.js';
import { TENANT_NAME_RULE, TENANT_PATTERN } from '../ir/tenant-name.js';
import { UsageError, parseArgs, stringFlag } from './args.js';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export const AUDIT_USAGE = 'usage: mge audit verify --data DIR | --export FILE [--checkpoint FILE] [--jwks FILE] [--tenant T] [--unanchored]';

/** `mge audit verify --help`. */
export const AUDIT_HELP = `${AUDIT_USAGE}

Verifies audit logs: every entry and its receipt, the Merkle root, every checkpoint's
signature, and that a checkpoint anchors the log (SPEC §6).
  --data DIR          every tenant's log under DIR/audit/ (as \`mge serve --data DIR\` keeps it)
  --export FILE       one export (GET /api/v1/audit/export, JSON Lines); \`-\` reads it from
                      stdin (\`curl … | mge audit verify --export - …\`), as does a pipe
  --checkpoint FILE   checkpoints kept elsewhere (GET /api/v1/audit/checkpoint; one, or one per
                      line) the log must match
  --jwks FILE         Ed25519 public keys (GET /api/v1/keys; after a rotation, one file
                      holding the old keys and the new)
  --tenant T          the tenant the log must be of (with --data: only its log); give it with
                      --export too, or an export of another tenant verifies as itself
  --unanchored        accept a log no checkpoint covers, each entry checked alone
Keys: MGE_SECRET_KEY, MGE_PREVIOUS_SECRET_KEYS, MGE_PREVIOUS_JWKS (a JWKS file) and --jwks.
Only MGE_SECRET_KEY and --jwks pin them: with neither, the data dir's own secret.key and
ed25519.jwk are used too, MGE_PREVIOUS_* only adding the keys of before a rotation (then the
log is checked only against keys kept beside it, which whoever can write it can replace; an
auditor gives --jwks). A key that signs again after another took over in a log is a warning
(a server started with its earlier key again, or a forgery with a retired key).
Exit: 0 everything verifies, 1 a problem (each named on stderr), 2 usage error.`;

/**
 * The keys to verify with, and whether they were read from the data dir itself. Keys given by
 * the caller (MGE_SECRET_KEY, `--jwks`) pin them: the data dir's key files are then not read,
 * since a key file dropped there verified a forged entry, and a pinned JWKS checked nothing
 * against a data dir swapped whole with its own key.
 */
async function keyRing(dataDir: string | undefined, jwksFile: string | undefined): Promise<{ ring: KeyRing; fromDataDir: boolean }> {
  const ring = new KeyRing();
  const secret = process.env.MGE_SECRET_KEY;
  const pinned = (secret !== undefined && secret !== '') || jwksFile !== undefined;
  if (secret !== undefined && secret !== '') ring.add((await importHs256Secret(secret)).verification);
  // Those of before a rotation, as `mge serve` takes them (MGE_PREVIOUS_JWKS below).
  for (const k of await hs256VerificationKeys(process.env.MGE_PREVIOUS_SECRET_KEYS)) ring.add(k);
  const fromDataDir = dataDir !== undefined && !pinned ? await dataDirVerificationKeys(dataDir) : [];
  for (const k of fromDataDir) ring.add(k);
  const previousJwks = process.env.MGE_PREVIOUS_JWKS;
  if (previousJwks !== undefined && previousJwks !== '') for (const k of await jwksFileKeys(previousJwks, 'MGE_PREVIOUS_JWKS')) ring.add(k);
  if (jwksFile !== undefined) for (const k of await jwksFileKeys(jwksFile, '--jwks')) ring.add(k);
  return { ring, fromDataDir: fromDataDir.length > 0 };
}

/**
 * A kept checkpoints file, read as the store reads it: a torn last line is skipped, but what
 * it still shows (`torn`) is checked against the log, as the server does at start.
 */
async function readCheckpoints(file: string): Promise<{ kept: unknown[]; torn?: TornCheckpoint }> {
  const text = await readIfPresent(file);
  if (text === undefined) return { kept: [] };
  const torn = tornCheckpointOf(text);
  return { kept: keptCheckpointLines(text).map(readCheckpointText), ...(torn ? { torn } : {}) };
}

/**
 * A checkpoint file saved by the caller: one JSON object (possibly pretty-printed), or JSON
 * Lines of them, every line counting. A line that is not JSON is kept as text, so the verifier
 * names it instead of the CLI crashing.
 */
function parseCheckpoints(withBom: string): unknown[] {
  // A leading byte order mark (an editor's save) is dropped, as an HTTP body's is.
  const text = withBom.startsWith('\uFEFF') ? withBom.slice(1) : withBom;
  const whole = readCheckpointText(text);
  if (typeof whole !== 'string') return [whole];
  // The last line too when its newline is missing: a file the caller named must not pass unread.
  return text.split('\n').filter((l) => l.trim() !== '').map(readCheckpointText);
}

/**
 * Lines split on `\n` only. A last line without its newline is recorded in `torn`, and verified
 * too, unless `holdTorn` (a store's file: see verifyFile) and it is not JSON (a fragment).
 */
async function* fileLines(file: string, torn: { last?: number; whole?: boolean }, holdTorn: boolean): AsyncIterable<string | Uint8Array> {
  const fh = await open(file, 'r');
  try {
    let n = 0;
    for await (const l of scanLines(fh, 0, (await fh.stat()).size)) {
      n++;
      if (!l.complete) {
        torn.last = n;
        torn.whole = isJson(l.line);
        if (holdTorn && !torn.whole) return;
      }
      // Not UTF-8: its bytes, which verifyLog hashes as they are and reports.
      yield l.utf8 ? l.line : l.bytes;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Verifies a log file. An export's last line without its newline is a problem (a cut
 * download). In a store's own file (`store`) it is what a crash in the middle of a write leaves,
 * never answered (an answer waits for the whole line), and the store cuts it when it next
 * opens; unless a checkpoint covers it (an acknowledged entry damaged: a problem), `tornTail`
 * names it for a note: a fragment (not JSON) is not counted, a whole entry is verified and
 * counted (else a forged entry appended without its newline passes unread). Failing the verify on
 * any torn tail would make a "verify after a crash" runbook step raise a false alarm.
 */
async function verifyFile(file: string, input: Omit<VerifyLogInput, 'lines'>, store = false): Promise<LogReport & { tornTail?: { entry: number; whole: boolean } }> {
  const torn: { last?: number; whole?: boolean } = {};
  const r = await verifyLog({ ...input, lines: fileLines(file, torn, store) });
  if (torn.last === undefined) return r;
  const sizes = [...input.checkpoints, ...(input.saved ?? []), input.torn].filter(isCheckpointLike).map((c) => c.tree_size);
  if (store && torn.last > Math.max(0, ...sizes)) return { ...r, tornTail: { entry: torn.last, whole: torn.whole === true } };
  r.problems.push(store
    ? `entry ${torn.last}: last line has no newline, and a checkpoint covers it (an acknowledged entry was damaged)`
    : `entry ${torn.last}: last line has no newline (a torn write; the store drops it when it next opens)`);
  r.ok = false;
  return r;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Anything with a numeric tree_size (a checkpoint as kept, saved or torn, before it is checked). */
function isCheckpointLike(c: unknown): c is { tree_size: number } {
  return typeof c === 'object' && c !== null && typeof (c as { tree_size?: unknown }).tree_size === 'number';
}

/** Entries with the same problem named one by one up to this many; the rest as ranges in one line. */
const SAME_PROBLEM_SHOWN = 3;

/**
 * Problems as `error:` lines. The same problem of many entries (every entry of a log checked
 * under the wrong `--tenant`: 615 lines for one log) is named for the first few, then once
 * with the ranges of the rest, so nothing is left out and the distinct problems stay visible.
 */
function problemLines(problems: readonly string[]): string[] {
  const byText = new Map<string, number[]>();
  const out: Array<string | { key: string; kind: string; text: string }> = [];
  for (const p of problems) {
    // Checkpoints too: after a rotation verified without the old key, each of 87 had its line.
    const m = /^(entry|checkpoint) (\d+)(?: \(tree_size \d+\))?: (.*)$/s.exec(p);
    if (m === null) {
      out.push(p);
      continue;
    }
    const [, kind, n, text] = m;
    const key = `${kind}\0${text}`;
    const seen = byText.get(key);
    if (seen === undefined) byText.set(key, [Number(n)]);
    else seen.push(Number(n));
    if ((seen?.length ?? 1) <= SAME_PROBLEM_SHOWN) out.push(p);
    else if (seen!.length === SAME_PROBLEM_SHOWN + 1) out.push({ key, kind, text });
  }
  return out.map((p) => {
    if (typeof p === 'string') return p;
    const rest = byText.get(p.key)!.slice(SAME_PROBLEM_SHOWN);
    return `${count(rest.length, `more ${p.kind}`, p.kind === 'entry' ? 'more entries' : 'more checkpoints')} (${ranges(rest)}): ${p.text}`;
  });
}

/** `[4, 5, 6, 9]` → `4–6, 9`. */
function ranges(ns: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ns.length;) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j] + 1) j++;
    parts.push(j === i ? String(ns[i]) : `${ns[i]}–${ns[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/**
 * Prints the outcome and says whether it passed. Entries are only vouched for as a whole (none
 * removed, reordered or inserted; rule changes unchanged) up to the largest checkpoint that
 * verified: a log no checkpoint covers fails unless `--unanchored` accepts the entries alone.
 */
function report(io: CliIo, name: string, r: LogReport, unanchored: boolean): boolean {
  for (const p of problemLines(r.problems)) io.err(`error: ${name}: ${p}\n`);
  for (const w of problemLines(r.warnings)) io.err(`warning: ${name}: ${w}\n`);
  if (!r.ok) return false;
  const line = `${name}: ok: ${count(r.size, 'entry', 'entries')}, root ${r.root_hash}, ${count(r.checkpoints, 'checkpoint', 'checkpoints')} verified`;
  // An empty log is anchored only by a checkpoint (of size 0): emptied with its checkpoints
  // removed, a log looked like a fresh one and passed (a wiped log said ok).
  if (r.anchoredSize === r.size && (r.size > 0 || r.checkpoints > 0)) {
    io.out(`${line}\n`);
    return true;
  }
  if (r.anchoredSize > 0) {
    const after = r.size === r.anchoredSize + 1 ? `entry ${r.size} is` : `entries ${r.anchoredSize + 1}–${r.size} are`;
    io.out(`${line}; ${after} after the last checkpoint (not covered by a signed root: their removal, an added rule change, or a decision copied in from another log signed with the same key, would leave no trace)\n`);
    return true;
  }
  if (unanchored) {
    io.out(`${line}; not anchored (--unanchored): each entry checked alone, not the log as a whole\n`);
    return true;
  }
  if (r.size === 0) {
    io.err(`error: ${name}: not anchored: the log is empty and has no checkpoint, as a log emptied with its checkpoints removed would be; give \`--checkpoint FILE\` (saved from GET /api/v1/audit/checkpoint), or \`--unanchored\` to accept it\n`);
    return false;
  }
  io.err(`error: ${name}: not anchored: no checkpoint covers this log, so a removed, reordered or inserted entry, or a changed rule change, would go unseen; give \`--checkpoint FILE\` (saved from GET /api/v1/audit/checkpoint), or \`--unanchored\` to check each entry alone\n`);
  return false;
}

const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function tenantOf(cps: unknown[]): string | undefined {
  const t = cps.find((c): c is { tenant: string } => typeof c === 'object' && c !== null && typeof (c as { tenant?: unknown }).tenant === 'string');
  return t?.tenant;
}

/**
 * The export as a regular file, which the verifier reads by offset: `-` (stdin), a pipe or a
 * FIFO (`--export <(curl …)`) is first copied to a temporary file (as large as the export),
 * removed by `done`, or at SIGINT / SIGTERM. Until 11-29 such an export was read as its size,
 * 0 bytes: anything piped in "verified" as an empty log, and a real export failed against its
 * saved checkpoint (a review).
 */
async function exportAsFile(given: string): Promise<{ path: string; done: () => Promise<void> }> {
  // `/dev/stdin` is read as stdin: opened by name, a socket there (a parent process's pipe) is ENXIO.
  const stdin = given === '-' || given === '/dev/stdin';
  if (!stdin && statSync(given).isFile()) return { path: given, done: async () => undefined };
  // Removed on Ctrl-C or a stop too (a re-review: a stalled pipe left its partial copy behind).
  // Listened for before the folder is made: a signal between the two left it (a CI run saw the
  // process end by the signal itself).
  let dir: string | undefined;
  const interrupted = (signal: NodeJS.Signals): void => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  const done = async (): Promise<void> => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    dir = await mkdtemp(join(tmpdir(), 'mge-export-'));
    const path = join(dir, 'export.jsonl');
    const from: Readable = stdin ? process.stdin : createReadStream(given);
    await pipeline(from, createWriteStream(path, { mode: 0o600 }));
    return { path, done };
  } catch (err) {
    await done();
    throw err;
  }
}

/** Refuses, before anything is read, an export that is not there or is a folder. */
function refuseExportPath(given: string): void {
  if (given === '-') return;
  const stat = statSync(given, { throwIfNoEntry: false });
  if (stat === undefined) throw new UsageError(`export file \`${given}\` does not exist`);
  if (stat.isDirectory()) throw new UsageError(`export file \`${given}\` is a directory; give the JSON Lines file of one export`);
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { values: ['data', 'export', 'checkpoint', 'jwks', 'tenant'], booleans: ['unanchored'] });
  const unanchored = args.flags.get('unanchored') === true;
  const dataDir = stringFlag(args, 'data');
  const exportFile = stringFlag(args, 'export');
  if ((dataDir === undefined) === (exportFile === undefined) || args.positionals.length > 0) throw new UsageError('give exactly one of `--data DIR` or `--export FILE`');
  const tenantFlag = stringFlag(args, 'tenant');
  if (tenantFlag !== undefined && !TENANT_PATTERN.test(tenantFlag)) throw new UsageError(`invalid tenant name \`${tenantFlag}\` (${TENANT_NAME_RULE})`);
  if (exportFile !== undefined) refuseExportPath(exportFile);
  const saved = stringFlag(args, 'checkpoint');
  if (saved !== undefined && isDirectory(saved)) throw new UsageError(`checkpoint file \`${saved}\` is a directory; give the file a checkpoint was saved to`);
  // Read once: the file may be a pipe (`--checkpoint <(curl …)`).
  const savedText = saved === undefined ? undefined : await readIfPresent(saved, { pipes: true });
  if (saved !== undefined && savedText === undefined) throw new UsageError(`checkpoint file \`${saved}\` does not exist`);
  const savedCps = savedText === undefined ? [] : parseCheckpoints(savedText);
  if (saved !== undefined && savedCps.length === 0) throw new UsageError(`checkpoint file \`${saved}\` holds no checkpoint`);
  if (dataDir !== undefined && !isDirectory(dataDir)) throw new UsageError(`data directory \`${dataDir}\` does not exist or is not a directory`);
  const { ring: keys, fromDataDir } = await keyRing(dataDir, stringFlag(args, 'jwks'));
  // Said before "no keys": a wrong --data (its `audit/` folder, say) has none either, and that
  // message sent the user looking for a secret instead of the right directory.
  if (dataDir !== undefined && !isDirectory(join(dataDir, AUDIT_DIR))) {
    io.err(`error: no audit log under \`${join(dataDir, AUDIT_DIR)}\`: give the directory \`mge serve --data\` was given (it holds \`${AUDIT_DIR}/\`)\n`);
    return 1;
  }
  if (keys.size === 0) {
    io.err('error: no keys to verify signatures with: set MGE_SECRET_KEY, give `--jwks FILE`, or use a data dir that holds its keys\n');
    return 2;
  }
  const backend = nodeCryptoBackend;
  let ok = true;
  if (exportFile !== undefined) {
    const checkpointTenant = tenantOf(savedCps);
    const tenant = tenantFlag ?? checkpointTenant;
    // The export's checkpoints are saved ones (none is kept with an export): each checked on its own.
    const file = await exportAsFile(exportFile);
    const r = await verifyFile(file.path, { tenant, checkpoints: [], saved: savedCps, keys, backend }).finally(file.done);
    // Named with the tenant it was checked as: "acme's export" that is another's passes as that
    // other's unless `--tenant` is given, so the line says whose.
    const whose = r.tenant === undefined ? '' : ` (tenant \`${r.tenant}\`${tenantFlag === undefined ? `, from ${checkpointTenant !== undefined ? 'the checkpoint' : 'its content'}: give --tenant to require one` : ''})`;
    return report(io, `export \`${exportFile}\`${whose}`, r, unanchored) ? 0 : 1;
  }
  if (fromDataDir) {
    io.err(`note: signatures checked with the keys kept in \`${dataDir}\` itself (no MGE_SECRET_KEY or --jwks given): this shows the log agrees with them, not that they are yours\n`);
  }
  const factory = new NodeAuditStoreFactory(dataDir!);
  const only = tenantFlag;
  const tenants = only !== undefined ? [only] : await factory.tenants();
  if (only === undefined) {
    for (const name of readdirSync(join(dataDir!, AUDIT_DIR)).filter((n) => isDirectory(join(dataDir!, AUDIT_DIR, n)) && !isTenantDirName(n)).sort()) {
      io.err(`note: \`${join(dataDir!, AUDIT_DIR, name)}\` is not a tenant's log folder (\`mge serve\` writes none of that name): not checked\n`);
    }
  }
  if (tenants.length === 0) {
    io.err(`error: no audit log under \`${join(dataDir!, AUDIT_DIR)}\`\n`);
    return 1;
  }
  // A saved checkpoint that no verified log is checked against would pass unseen: one whose
  // tenant's log is gone (removed whole) is the very case it was saved to catch.
  savedCps.forEach((cp, i) => {
    const name = `saved checkpoint ${i + 1} (\`${saved}\`)`;
    if (!isCheckpoint(cp)) io.err(`error: ${name}: ${notACheckpoint(cp)}\n`);
    else if (only !== undefined && cp.tenant !== only) io.err(`error: ${name}: of tenant \`${cp.tenant}\`, not \`${only}\` (give that tenant's checkpoint, or drop --tenant)\n`);
    else if (!tenants.includes(cp.tenant)) io.err(`error: ${name}: tenant \`${cp.tenant}\` has no audit log under \`${join(dataDir!, AUDIT_DIR)}\`: the log it covered was removed\n`);
    else return;
    ok = false;
  });
  for (const tenant of tenants) {
    const dir = join(dataDir!, AUDIT_DIR, tenantDirName(tenant));
    // Something other than a file where the store keeps one refuses the log, as at a server's
    // start: a FIFO there hung this command, or ended it with a stack trace (a review, 11-29).
    const notFiles = [LOG_FILE, CHECKPOINTS].flatMap((name) => {
      const st = statSync(join(dir, name), { throwIfNoEntry: false });
      return st === undefined || st.isFile() ? [] : [`\`${join(dir, name)}\` is ${whatIsThere(st)}, not a file`];
    });
    if (notFiles.length > 0) {
      for (const m of notFiles) io.err(`error: tenant \`${tenant}\`: ${m}\n`);
      ok = false;
      continue;
    }
    const { kept, torn } = await readCheckpoints(join(dir, CHECKPOINTS));
    const extra = savedCps.filter((c) => tenantOf([c]) === tenant);
    // A log removed with its checkpoints left behind is what the checkpoints are kept to catch.
    if (!existsSync(join(dir, LOG_FILE))) {
      const covered = Math.max(0, ...kept.filter(isCheckpoint).map((c) => c.tree_size));
      io.err(`error: tenant \`${tenant}\`: \`${join(dir, LOG_FILE)}\` is missing${covered > 0 ? `, though checkpoints cover ${covered} entries of it: the log was removed` : ''}\n`);
      ok = false;
      continue;
    }
    // A copy of what a server answered, or a note that the log was cut, beside it: the log
    // lacks answered decisions, however well it verifies.
    const setAside = await refuseWhileSetAside(join(dir, LOG_FILE)).then(() => undefined, (err: unknown) => (err as Error).message);
    if (setAside !== undefined) {
      io.err(`error: tenant \`${tenant}\`: ${setAside}\n`);
      ok = false;
    }
    // Read the file as it is: opening the store would repair a torn tail before we looked.
    const r = await verifyFile(join(dir, LOG_FILE), { tenant, checkpoints: kept, saved: extra, keys, backend, ...(torn ? { torn } : {}) }, true);
    const passed = report(io, `tenant \`${tenant}\``, r, unanchored);
    ok = passed && ok;
    // Its checkpoints are in the data directory: whoever rewrote the log could rewrite them and
    // have the server sign the new history (a review, 11-29: the ok line read the same).
    // So are the entries past the largest checkpoint given (a re-review: a history rewritten
    // after a saved size-7 checkpoint passed with no note).
    if (passed && r.keptAnchoredSize > r.savedAnchoredSize) {
      const k = r.keptAnchoredSize;
      const past = r.savedAnchoredSize + 1 === k ? `entry ${k} (past the checkpoint given) is` : `entries ${r.savedAnchoredSize + 1}–${k} (past the checkpoint given) are`;
      const what = r.savedAnchoredSize < 0 ? 'anchored only' : `${past} anchored only`;
      io.out(`tenant \`${tenant}\`: note: ${what} by the checkpoints kept in \`${dataDir}\` itself${r.savedAnchoredSize < 0 ? ' (no --checkpoint of this tenant\'s given)' : ''}: a history rewritten there, checkpoints and all, would pass; a checkpoint kept elsewhere (saved from GET /api/v1/audit/checkpoint) shows it\n`);
    }
    if (r.tornTail !== undefined) {
      const { entry, whole } = r.tornTail;
      io.out(whole
        ? `tenant \`${tenant}\`: note: entry ${entry}, the last line, has no newline: whole and checked, covered by no checkpoint; the store drops it when it next opens (a write cut by a crash just before its newline, never answered)\n`
        : `tenant \`${tenant}\`: note: entry ${entry}, the last line, has no newline: a write cut by a crash, never answered and covered by no checkpoint; not counted (the store drops it when it next opens)\n`);
    }
    if (torn !== undefined && r.ok) {
      const shown = torn.tree_size !== undefined && torn.root_hash !== undefined ? `its tree_size ${torn.tree_size} and root_hash match the log` : 'no tree size and root are left in it to check';
      io.out(`tenant \`${tenant}\`: note: the checkpoints file ends in a torn line (a crash while writing it), not counted; ${shown}\n`);
    }
  }
  return ok ? 0 : 1;
}

/** `mge audit …`; returns the exit code. */
export async function auditCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === 'verify') return await verifyCommand(rest, io);
    throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand \`${sub}\``);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mge audit: ${e.message}\n${AUDIT_USAGE}\n`);
      return 2;
    }
    if (e instanceof SyntaxError || e instanceof KeyError || (e as NodeJS.ErrnoException).code !== undefined) {
      io.err(`mge audit: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}
