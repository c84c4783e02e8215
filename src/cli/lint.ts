// `mge lint [--strict] PATH…` (SPEC §9): every diagnostic as `file:line:col: severity: message`
// (with the source line and help) on stdout, a summary on stderr. Exit 0 clean, 1 on errors (or
// on warnings with --strict), 2 on usage or I/O errors.
//
// A directory is linted as a rules root (SPEC §7: tenants, duplicate rule ids across files);
// a file named on its own is linted alone, by its extension.

import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { RulesDirError, readRuleFile, readRulesDir, rulesDirDiagnostic } from '../adapters/node/files.js';
import { formatDiagnostic } from '../diagnostics/format.js';
import type { Diagnostic } from '../ir/types.js';
import { loadRuleSources, parseRuleFile, rootedPath } from '../rules/load.js';

const LINT_USAGE = 'usage: mge lint [--strict] PATH…';

/** `mge lint --help`. */
export const LINT_HELP = `usage: mge lint [--strict] PATH…

Checks rule files and rules directories (each PATH). Prints one finding per line as
\`file:line:col: error|warning: message\`, followed by the source line and a \`= help:\` line
when there is one, on stdout; the summary goes to stderr.
  --strict          warnings fail too
Exit: 0 no errors, 1 errors (or warnings with --strict), 2 usage error or a PATH that cannot be read.`;

class LintUsageError extends Error {}

interface LintTarget {
  diagnostics: Diagnostic[];
  texts: Map<string, string>;
  files: number;
  rules: number;
}

/**
 * Runs `mge lint`; `argv` is what follows `lint` on the command line. Resolves to the exit code.
 *
 * @example process.exitCode = await lintCommand(['--strict', 'rules'])
 */
export async function lintCommand(argv: string[]): Promise<number> {
  let options: LintOptions;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof LintUsageError)) throw e;
    process.stderr.write(`mge lint: ${e.message}\n${LINT_USAGE}\n`);
    return 2;
  }
  const all: LintTarget = { diagnostics: [], texts: new Map(), files: 0, rules: 0 };
  // A PATH that cannot be read is said, and the others are still linted (not dropping the
  // findings of every other PATH); the exit is 2 all the same.
  const unreadable: string[] = [];
  for (const path of options.paths) {
    let t: LintTarget;
    try {
      t = await lintPath(path);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      // Only a file system error is "cannot read"; anything else is a fault of lint's own.
      const io = e instanceof RulesDirError || typeof (e as NodeJS.ErrnoException | undefined)?.code === 'string';
      unreadable.push(io ? `mge lint: cannot read \`${path}\`: ${why}` : `mge lint: \`${path}\` could not be linted (an error in mge lint, please report it): ${why}`);
      continue;
    }
    for (const d of t.diagnostics) all.diagnostics.push(d);
    for (const [k, v] of t.texts) all.texts.set(k, v);
    all.files += t.files;
    all.rules += t.rules;
  }
  for (const d of all.diagnostics) process.stdout.write(formatDiagnostic(d, all.texts.get(d.span.file)) + '\n');
  const errors = all.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = all.diagnostics.length - errors;
  for (const line of unreadable) process.stderr.write(line + '\n');
  if (unreadable.length < options.paths.length) process.stderr.write(summary(errors, warnings, all.files, all.rules, unreadable.length) + '\n');
  if (unreadable.length > 0) return 2;
  return errors > 0 || (options.strict && warnings > 0) ? 1 : 0;
}

interface LintOptions {
  strict: boolean;
  paths: string[];
}

function parseArgs(argv: string[]): LintOptions {
  let strict = false;
  const paths: string[] = [];
  let optionsDone = false;
  for (const arg of argv) {
    // A PATH named twice (`rules`, `./rules/`) is linted once (its findings were printed twice).
    if (optionsDone || !arg.startsWith('-') || arg === '-') {
      if (!paths.some((p) => resolve(p) === resolve(arg))) paths.push(arg);
    } else if (arg === '--') optionsDone = true;
    else if (arg === '--strict') {
      // As every other command's flags (src/cli/args.ts).
      if (strict) throw new LintUsageError('`--strict` is given more than once');
      strict = true;
    }
    else if (arg.startsWith('--strict=')) throw new LintUsageError('`--strict` takes no value (give `--strict` alone, or leave it out)');
    else throw new LintUsageError(`unknown option \`${arg}\``);
  }
  if (paths.length === 0) throw new LintUsageError('no PATH given');
  return { strict, paths };
}

async function lintPath(path: string): Promise<LintTarget> {
  if ((await stat(path)).isDirectory()) {
    // A file or folder that cannot be read is one finding among the others, not the end of
    // the run (not the only thing lint says, with exit 2).
    const unreadable: Diagnostic[] = [];
    const sources = await readRulesDir(path, (err) => unreadable.push(rulesDirDiagnostic(err)));
    // File names as seen from where lint runs; tenancy is still read relative to the root.
    const root = path.split(sep).join('/');
    const loaded = loadRuleSources(sources, { root });
    loaded.diagnostics = [...unreadable.sort((a, b) => (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : 0)), ...loaded.diagnostics];
    // A rules directory with nothing to enforce approves every check: likely the wrong one.
    if (sources.length === 0) {
      loaded.diagnostics.push({
        severity: 'warning', code: 'no-rule-files', message: `no rule files in \`${root}\`: every check would be approved`,
        help: 'rule files end in `.yaml`, `.yml`, `.json`, `.mdc` or `.md`; dotfiles and folders\' README.md are skipped',
        span: { file: root, line: 1, col: 1 },
      });
    }
    const rules = loaded.global.length + [...loaded.tenants.values()].reduce((n, r) => n + r.length, 0);
    return {
      diagnostics: loaded.diagnostics,
      texts: new Map(sources.map((s) => [rootedPath(root, s.path), s.text])),
      files: sources.length,
      rules,
    };
  }
  let text: string;
  try {
    text = await readRuleFile(path);
  } catch (err) {
    if (!(err instanceof RulesDirError)) throw err;
    return { diagnostics: [rulesDirDiagnostic(err)], texts: new Map(), files: 1, rules: 0 };
  }
  const parsed = parseRuleFile({ path, text });
  return { diagnostics: parsed.diagnostics, texts: new Map([[path, text]]), files: 1, rules: parsed.rules.length };
}

/** `unread`: PATHs that could not be read, said first (not "no problems" beside exit 2). */
function summary(errors: number, warnings: number, files: number, rules: number, unread = 0): string {
  const n = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
  const checked = `${n(files, 'file')}, ${n(rules, 'valid rule')}`;
  const found = errors + warnings === 0 ? `no problems (${checked})` : `${n(errors, 'error')}, ${n(warnings, 'warning')} (${checked})`;
  return unread === 0 ? found : `${n(unread, 'path')} not read; in the rest, ${found}`;
}
