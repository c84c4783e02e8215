// `mge check --rules DIR [--tenant T] [--explain] [--request FILE|-]` (SPEC §9): prints the
// decision (no receipt); exit 0 approved, 1 denied, 2 error (message on stderr).

import { readFile } from 'node:fs/promises';
import { createEngineFromDir } from '../adapters/node.js';
import { RequestError, RuleLoadError } from '../engine/engine.js';
import { TENANT_PATTERN } from '../http/api-keys.js';
import { formatDiagnostic, underDir } from '../diagnostics/format.js';
import { tenantNameNote } from './tenant-note.js';
import { parseStrictJson } from '../json/strict-parse.js';
import { decodeUtf8 } from '../json/utf8.js';
import { envSetting, parseArgs, stringFlag, UsageError } from './args.js';

export const CHECK_USAGE = 'usage: mge check [--rules DIR] [--tenant T] [--explain] [--request FILE|-]   (rules: $MGE_RULES_DIR or ./rules; request: stdin)';

export async function checkCommand(argv: string[]): Promise<number> {
  let rulesDir = '';
  try {
    const args = parseArgs(argv, { values: ['rules', 'tenant', 'request'], booleans: ['explain'] });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument \`${args.positionals[0]}\``);
    rulesDir = stringFlag(args, 'rules') ?? envSetting(process.env.MGE_RULES_DIR) ?? './rules';
    const tenant = stringFlag(args, 'tenant');
    if (tenant !== undefined && !TENANT_PATTERN.test(tenant)) throw new UsageError(`invalid tenant name \`${tenant}\` (1–64 letters, digits, \`_\`, \`.\`, \`-\`, starting with a letter or digit)`);
    const requestFile = stringFlag(args, 'request') ?? '-';
    // Decoded as an HTTP body is: invalid UTF-8 refused, not replaced (it would change the hash).
    const bytes = requestFile === '-' ? await readStdin() : await readFile(requestFile);
    let text: string;
    try {
      text = decodeUtf8(bytes);
    } catch {
      throw new RequestError(`the request in \`${requestFile === '-' ? 'stdin' : requestFile}\` is not valid UTF-8`);
    }
    const request = parseStrictJson(text);
    const engine = await createEngineFromDir(rulesDir);
    // As `mge serve` and `mge lint` say: likely the wrong directory.
    if (engine.ruleCount() === 0) process.stderr.write(`mge check: warning: no rules in \`${rulesDir}\`: every request is approved\n`);
    const tenantNote = tenant === undefined ? undefined : tenantNameNote(tenant, engine.tenants());
    if (tenantNote !== undefined) process.stderr.write(`mge check: warning: ${tenantNote}\n`);
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
      process.stderr.write(`mge check: ${err.message}\n${CHECK_USAGE}\n`);
    } else if (err instanceof RequestError) {
      process.stderr.write(`mge check: ${err.message}\n`);
    } else {
      process.stderr.write(`mge check: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    return 2;
  }
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
