// `mge check --rules DIR [--tenant T] [--explain] [--request FILE|-]` (SPEC §9): prints the
// decision (no receipt); exit 0 approved, 1 denied, 2 error (message on stderr).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createEngineFromDir } from '../adapters/node/index.js';
import { rulesDirProblem } from '../adapters/node/files.js';
import { DEFAULT_TENANT, NoRulesError, RequestError, RuleLoadError } from '../engine/engine.js';
import { TENANT_NAME_RULE, TENANT_PATTERN } from '../ir/tenant-name.js';
import { formatDiagnostic, namedControls, underDir } from '../diagnostics/format.js';
import { tenantNameNote } from './tenant-note.js';
import { JsonInputError, jsonLimits, parseStrictJson } from '../json/strict-parse.js';
import { decodeUtf8 } from '../json/utf8.js';
import { envSetting, parseArgs, stringFlag, UsageError } from './args.js';
import { requestLimitsFrom } from './request-limits.js';

const CHECK_USAGE = 'usage: mge check [--rules DIR] [--tenant T] [--explain] [--request FILE|-]   (rules: $MGE_RULES_DIR or ./rules; request: stdin)';

/** `mge check --help`. */
export const CHECK_HELP = `usage: mge check [--rules DIR] [--tenant T] [--explain] [--request FILE|-]

Decides one check request (SPEC §2) against a rules directory; prints the decision (without a
receipt) on stdout, and the rules' warnings (as \`mge lint\` gives them) on stderr. Each run
starts with full rate buckets, so a \`rate_limit_check\` never denies here.
  --rules DIR       the rules directory (default: $MGE_RULES_DIR, else ./rules)
  --tenant T        decide as tenant T: the global rules and tenants/T/ (default: \`default\`)
  --explain         add \`explanation\`: each violated clause's source and the values it read
  --request FILE    the request JSON; \`-\` or left out: stdin (piped: a terminal is refused)
Exit: 0 approved, 1 denied, 2 error (the message on stderr).`;

export async function checkCommand(argv: string[]): Promise<number> {
  let rulesDir = '';
  try {
    const args = parseArgs(argv, { values: ['rules', 'tenant', 'request'], booleans: ['explain'] });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument \`${args.positionals[0]}\``);
    rulesDir = stringFlag(args, 'rules') ?? envSetting(process.env.MGE_RULES_DIR) ?? './rules';
    const tenant = stringFlag(args, 'tenant');
    if (tenant !== undefined && !TENANT_PATTERN.test(tenant)) throw new UsageError(`invalid tenant name \`${tenant}\` (${TENANT_NAME_RULE})`);
    // The server's limits, so a request it takes is one this takes, and the other way round.
    const limits = jsonLimits(requestLimitsFrom(process.env));
    const requestFile = stringFlag(args, 'request') ?? '-';
    const source = `\`${requestFile === '-' ? 'stdin' : requestFile}\``;
    // Waiting on a terminal nobody types into looked like a hang.
    if (requestFile === '-' && process.stdin.isTTY === true) throw new UsageError('no request: give `--request FILE`, or pipe the request JSON on stdin');
    // Decoded as an HTTP body is: invalid UTF-8 refused, not replaced (it would change the hash).
    const bytes = requestFile === '-' ? await readBounded(process.stdin, source, limits.maxBytes) : await readRequestFile(requestFile, source, limits.maxBytes);
    let text: string;
    try {
      text = decodeUtf8(bytes);
    } catch {
      throw new RequestError(`the request in ${source} is not valid UTF-8`);
    }
    if (text.trim() === '') throw new RequestError(`the request in ${source} is empty: give the check request JSON, e.g. {"action": "db.read"}`);
    let request: unknown;
    try {
      request = parseStrictJson(text, limits);
    } catch (err) {
      if (!(err instanceof JsonInputError)) throw err;
      throw new RequestError(`the request in ${source} is not accepted JSON: ${withLineCol(err.message, text)}`);
    }
    // A directory not there or with no rule file is refused (NoRulesError), as `mge serve`
    // refuses to start on it: a CI gate pointed at a wrong path or an unmounted volume would
    // otherwise pass every request, with a warning nobody reads. Said with the CLI's flags.
    const problem = await rulesDirProblem(rulesDir);
    if (problem !== undefined) throw new NoRulesError(problem);
    const engine = await createEngineFromDir(rulesDir, { limits: { maxDepth: limits.maxDepth, maxStringBytes: limits.maxStringBytes, maxArrayItems: limits.maxArrayItems } });
    const tenantNote = tenant === undefined ? undefined : tenantNameNote(tenant, engine.tenants());
    // Rule files that hold no rule (`rules: []`): said, as `mge serve` and `mge lint` say it.
    if (engine.ruleCount() === 0) process.stderr.write(`mge check: warning: no rules in \`${rulesDir}\`: every request is approved\n`);
    else if (tenantNote !== undefined) process.stderr.write(`mge check: warning: ${tenantNote}\n`);
    // Rules only in tenants' folders and no `--tenant`: a gate that left the flag out approves
    // everything, so it is said (a tenant named on purpose may rightly have no rules).
    else if (tenant === undefined && engine.policy().rules.length === 0) process.stderr.write(`mge check: warning: no rule in \`${rulesDir}\` applies to tenant \`${DEFAULT_TENANT}\` (only ${engine.tenants().map((t) => `\`${t}\``).join(', ')} ${engine.tenants().length === 1 ? 'has' : 'have'} rules; give \`--tenant\`?): every request is approved\n`);
    // What lint would warn of (an advisory bullet is never enforced): said here too.
    for (const d of engine.loadWarnings) process.stderr.write(formatDiagnostic(underDir(rulesDir, d)) + '\n');
    const decision = await engine.evaluate(request, {
      tenant,
      explain: args.flags.get('explain') === true,
    });
    process.stdout.write(JSON.stringify(decision, null, 2) + '\n');
    return decision.approved ? 0 : 1;
  } catch (err) {
    if (err instanceof RuleLoadError) {
      for (const d of err.diagnostics) process.stderr.write(formatDiagnostic(underDir(rulesDir, d)) + '\n');
    } else if (err instanceof UsageError) {
      process.stderr.write(`mge check: ${namedControls(err.message)}\n${CHECK_USAGE}\n`);
    } else {
      // A request's own keys and characters are quoted: an agent's ESC sequence is shown, not run.
      process.stderr.write(`mge check: ${namedControls(err instanceof Error ? err.message : String(err))}\n`);
    }
    return 2;
  }
}

/** A JSON error's `at offset N` also as line and column (a request file is written by hand). */
function withLineCol(message: string, text: string): string {
  // The parser's position is the last one named; an earlier " at offset 3" may be the
  // request's own text (a key), and a position need not end the message (`… is longer than …`).
  const m = [...message.matchAll(/ at offset (\d+)/g)].pop();
  if (m === undefined) return message;
  const before = text.slice(0, Number(m[1])).split('\n');
  return `${message} (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

/** The request file's bytes; a missing file or a directory said as such, not as ENOENT/EISDIR. */
async function readRequestFile(file: string, source: string, maxBytes: number): Promise<Uint8Array> {
  const st = await stat(file).catch(() => undefined);
  if (st === undefined) throw new Error(`request file \`${file}\` not found`);
  if (st.isDirectory()) throw new Error(`request file \`${file}\` is a directory; give the JSON file of one check request`);
  return readBounded(createReadStream(file), source, maxBytes);
}

/**
 * The request's bytes, refused as soon as they pass the body limit an HTTP check has (SPEC §2):
 * read whole first, `--request /dev/zero` or an endless pipe grew without bound (1.4 GB
 * after 8 s).
 */
async function readBounded(input: Readable, source: string, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      input.destroy();
      throw new RequestError(`the request in ${source} is larger than ${maxBytes} bytes, the limit of a check request`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
