// Reads a rules directory into `RuleSource`s for the web-standard loader (src/rules/load.ts).
// Choices: dotfiles and dot-directories are skipped (editor swap files, .git); `README.md` in
// any folder is documentation, not a rule. Symbolic links are followed, to files and to
// directories (a rules tree assembled from shared folders is common); a link back into its own
// ancestry is an error, not an endless walk. A name with a rule extension that is not a readable
// file (a FIFO), and any link whose target cannot be read (dangling, or behind a folder this
// process may not enter), are errors too: a rule the operator meant to deploy is never skipped
// without a word.

import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { decodeUtf8, firstInvalidUtf8 } from '../../json/utf8.js';
import { readRegularFile } from './new-file.js';
import type { Diagnostic } from '../../ir/types.js';
import { formatOf, parseRuleText, type RuleSource } from '../../rules/load.js';

/** A rules directory that cannot be read as intended; the message names the path. */
export class RulesDirError extends Error {
  override readonly name = 'RulesDirError';
  constructor(
    message: string,
    readonly file?: string,
    readonly at?: { line: number; col: number },
    readonly severity: 'error' | 'warning' = 'error',
    /** A warning's kind: a README.md that reads as a rule, a rule file under a misspelled extension, or a dotfile. */
    readonly warning: 'readme-rule' | 'misnamed-rule-file' | 'dot-rule-file' = 'readme-rule',
  ) {
    super(message);
  }
}

const RULE_EXTENSIONS = ['mdc', 'md', 'yaml', 'yml', 'json'];
/** Formats of their own one edit from a rule file's: an audit export (`.jsonl`), MDX pages, databases, XML, makefiles. */
const OTHER_FORMATS = ['jsonl', 'mdx', 'mdb', 'mdf', 'xml', 'mk'];
/** Files read for a warning about them are read up to this size (see smallTextOf). */
const SMALL_TEXT_BYTES = 1024 * 1024;

/**
 * A rule file's size limit. Read whole, a 600 MB file blocked `mge serve`'s event loop for
 * minutes (checks and /healthz timed out, SIGTERM unanswered) and then failed as "not valid
 * UTF-8" at V8's longest string. The largest rule sets seen are kilobytes.
 */
export const MAX_RULE_FILE_BYTES = 16 * 1024 * 1024;
const WARNING_HELP = {
  'readme-rule': 'give it another name (`db-access.md`) to have it loaded, or drop the rule id to keep it documentation',
  'misnamed-rule-file': `rule files end in ${RULE_EXTENSIONS.map((x) => `.${x}`).join(', ')}: rename it to have it loaded`,
  'dot-rule-file': 'rename it without the leading dot to have it loaded, or drop the rule id if it is set aside on purpose',
};

/**
 * Whether `name`'s extension is one edit (a letter changed, added, dropped, or two swapped)
 * from a rule file's: `deny.ymal`, `x.mcd`, `r.jsn` (skipped without a word, the check it was
 * meant to deny would be approved). `x.yaml.disabled` and an editor's backup
 * `x.yaml~` are not: those are set aside on purpose.
 */
function nearRuleExtension(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.endsWith('~')) return undefined;
  const ext = name.slice(dot + 1).toLowerCase();
  // One letter (`.m`, `.d`) is another language's, not a rule file's typo.
  if (ext.length < 2 || RULE_EXTENSIONS.includes(ext) || OTHER_FORMATS.includes(ext)) return undefined;
  return RULE_EXTENSIONS.find((r) => oneEditApart(ext, r));
}

/**
 * Whether `text` read as a rule file of extension `ext` holds a rule: so an OCaml `types.ml`
 * or a QML file that merely says `rule_id:` stays quiet, and `deny.ymal` warns.
 */
function readsAsRuleFile(text: string, ext: string): boolean {
  const format = formatOf(`x.${ext}`);
  return format !== undefined && parseRuleText(text, format, `x.${ext}`).rules.length > 0;
}

/**
 * A file's text for a warning about it, or '' when it is larger than any rule file is likely to
 * be: read whole, a 200 MB file beside the rules ran `mge serve` out of memory.
 */
async function smallTextOf(file: string): Promise<string> {
  const bytes = await readRegularFile(file, SMALL_TEXT_BYTES).catch(() => undefined);
  return bytes instanceof Uint8Array ? new TextDecoder().decode(bytes) : '';
}

function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    // One letter changed, or two neighbours swapped.
    return a.slice(i + 1) === b.slice(i + 1) || (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** The line (1-based) where a file of any format names a rule id (`rule_id:`, `"rule_id":`, `**Rule ID:**`). */
function anyRuleIdLineOf(text: string): number | undefined {
  const md = ruleIdLineOf(text);
  if (md !== undefined) return md;
  // `rule_id:` as a key in any of YAML's and JSON's forms: at a line's start, in a list item
  // (`- rule_id:`), in a flow map (`{ rule_id: …}`), quoted (`"rule_id":`, `'rule_id':`).
  const m = /(?:^|[\s{,\-])(['"]?)rule_id\1\s*:/m.exec(text);
  if (m === null) return undefined;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < m.index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * The line (1-based) where a README.md names its rule id as a rule file would, or undefined:
 * a `**Rule ID:**` line outside code blocks, or `rule_id:` in front matter on its first line.
 * An example in a code block is documentation (else a README showing the format warns).
 */
function ruleIdLineOf(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() === '---') {
    for (let i = 1; i < lines.length && lines[i].trim() !== '---'; i++) if (/^rule_id\s*:/.test(lines[i])) return i + 1;
  }
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    // `s`: `.` reaches the end past a \r or U+2028 (without it, quadratic on a run of backticks).
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/s.exec(lines[i]);
    // A fence closes with the same character, at least as many, and nothing after them.
    if (m !== null && fence === undefined) fence = m[1];
    else if (m !== null && m[1][0] === fence![0] && m[1].length >= fence!.length && m[2].trim() === '') fence = undefined;
    else if (fence === undefined && /^ {0,3}\*\*Rule[ _-]?ID:?\*\*/i.test(lines[i])) return i + 1;
  }
  return undefined;
}

/**
 * Told of each file or folder that cannot be read, instead of stopping at the first (`mge lint`
 * names them all, with the rest of its findings); without it the first one throws. Also told,
 * as a warning, of a folder's README.md that reads as a rule (it is skipped as documentation)
 * and of a file that reads as a rule under a misspelled extension (`deny.ymal`: skipped).
 */
export type UnreadableReport = (err: RulesDirError) => void;

/**
 * The rule files under `dir` as readRulesDir reads them (the first file that cannot be read
 * throws), and the warnings of the read (a README.md that reads as a rule), as diagnostics.
 */
export async function readRulesDirWarned(dir: string): Promise<{ sources: RuleSource[]; warnings: Diagnostic[] }> {
  const warnings: Diagnostic[] = [];
  const sources = await readRulesDir(dir, (err) => {
    if (err.severity === 'error') throw err;
    // Named relative to `dir`, as the load's own diagnostics are.
    const d = rulesDirDiagnostic(err);
    warnings.push({ ...d, span: { ...d.span, file: relative(dir, d.span.file).split(sep).join('/') } });
  });
  return { sources, warnings };
}

/** A rule file or folder that cannot be read (or a README.md that reads as a rule), as a finding: where it is bad when that is known. */
export function rulesDirDiagnostic(err: RulesDirError): Diagnostic {
  const span = { file: err.file ?? '', line: err.at?.line ?? 1, col: err.at?.col ?? 1 };
  if (err.severity === 'warning') return { severity: 'warning', code: err.warning, message: err.message, help: WARNING_HELP[err.warning], span };
  return { severity: 'error', code: 'unreadable-file', message: err.message, span };
}

/**
 * All rule files under `dir`, recursively, sorted by path; `path` is relative to `dir` with `/`.
 *
 * @example await readRulesDir('./rules') // [{ path: 'db.mdc', text: '…' }, { path: 'tenants/acme/x.yaml', … }]
 */
export async function readRulesDir(dir: string, report?: UnreadableReport): Promise<RuleSource[]> {
  for (let attempt = 1; ; attempt++) {
    const real = await realpath(dir);
    // Told only of the read that is kept (a retried one would repeat its findings).
    const findings: RulesDirError[] = [];
    const read: Read = { root: dir, out: [], report: report && ((e) => findings.push(e)), links: new Map() };
    // A link swapped during the read (`current -> release` on the way to `dir`, or a linked
    // folder inside it): what was read is whole, but maybe not what is now in place (or the
    // old release was removed while it was read); then what is now in place is read.
    const moved = async (): Promise<boolean> => {
      if ((await realpath(dir).catch(() => undefined)) !== real) return true;
      for (const [link, target] of read.links) if ((await realpath(link).catch(() => undefined)) !== target) return true;
      return false;
    };
    let failure: unknown;
    try {
      await walk(read, '', [real]);
    } catch (err) {
      failure = err;
    }
    if (await moved()) {
      if (attempt < MAX_READS) continue;
      // Still moving: no read can be trusted to be one whole release.
      throw new RulesDirError(`the rules directory \`${dir}\` kept changing while it was read (${MAX_READS} reads; a link in it or on the way to it moved each time)`, dir);
    }
    if (failure !== undefined) throw failure;
    if (report !== undefined) for (const f of findings) report(f);
    return read.out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** One read of a rules directory: where its files go, and the directory links it went through (link → where it led). */
interface Read {
  root: string;
  out: RuleSource[];
  report?: UnreadableReport;
  links: Map<string, string>;
}

/** Reads of a rules directory whose links keep moving before the read is refused. */
const MAX_READS = 5;

/**
 * `ancestry`: the real paths of the directories from the root down to `rel`. Entries are read
 * through the last of them, resolved once: read through the link path, a deploy that swapped
 * `current -> release` mid-read mixed files of two releases into a rule set neither holds (one
 * that approves what both releases deny).
 */
async function walk(read: Read, rel: string, ancestry: string[]): Promise<void> {
  const here = ancestry[ancestry.length - 1];
  const entries = await readdir(here, { withFileTypes: true });
  for (const e of entries) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    const full = join(read.root, path);
    if (e.name.startsWith('.')) {
      await warnOfDotRule(read, full, join(here, e.name), e).catch(() => undefined); // a warning only
      continue;
    }
    try {
      await walkEntry(read, path, full, join(here, e.name), e, ancestry);
    } catch (err) {
      if (read.report === undefined) throw err;
      read.report(err instanceof RulesDirError ? err : new RulesDirError(`\`${full}\` cannot be read: ${(err as Error).message}`, full));
    }
  }
}

/**
 * A dotfile is skipped (an editor's swap file, `.git`), but one named as a rule file that holds
 * a rule is warned of: `.no-drop.yaml` is a deny rule that never loads (a review, 11-29: lint
 * called the directory clean). Plain files only: an editor's lock (`.#x.yaml`) is a link.
 */
async function warnOfDotRule(read: Read, full: string, physical: string, e: Dirent): Promise<void> {
  const format = formatOf(e.name);
  if (read.report === undefined || !e.isFile() || format === undefined) return;
  const text = await smallTextOf(physical);
  const line = anyRuleIdLineOf(text);
  if (line === undefined || !readsAsRuleFile(text, format)) return;
  read.report(new RulesDirError(`\`${full}\` reads as a rule (it names a rule id), but its name starts with a dot, and dotfiles are skipped, so it is never loaded`, full, { line, col: 1 }, 'warning', 'dot-rule-file'));
}

/** `full` names the entry in messages; `physical` is where it is read (see walk). */
async function walkEntry(read: Read, path: string, full: string, physical: string, e: Dirent, ancestry: string[]): Promise<void> {
  let target: { isDirectory(): boolean; isFile(): boolean } = e;
  if (e.isSymbolicLink()) {
    // A link whose target is gone or cannot be read may stand for a folder of rules as well
    // as a file: either way rules meant to be deployed would be left out without a word
    // (a link to a folder skipped so, a deploy that moved the folder away would approve
    // what its rules denied).
    target = await stat(physical).catch((err: NodeJS.ErrnoException) => {
      throw new RulesDirError(`\`${full}\` is a link whose target cannot be read (${err.code ?? err.message}); a dangling link is an error, as the rules behind it would be left out`, full);
    });
  }
  if (target.isDirectory()) {
    const real = await realpath(physical);
    if (ancestry.includes(real)) throw new RulesDirError(`\`${full}\` links back to a directory it is in (a cycle)`, full);
    if (e.isSymbolicLink()) read.links.set(physical, real);
    await walk(read, path, [...ancestry, real]);
  } else if (isRuleFile(e.name)) {
    if (!target.isFile()) throw new RulesDirError(`\`${full}\` has a rule file's name but is not a readable file`, full);
    // A linked file is read where it resolves now, and re-checked after the read: links that
    // resolve through a swapped one (a ConfigMap's `f.yaml -> ..data/f.yaml`) mixed releases.
    if (e.isSymbolicLink()) read.links.set(physical, await realpath(physical));
    read.out.push({ path, text: await readRuleFile(read.links.get(physical) ?? physical, full) });
  } else if (read.report !== undefined && target.isFile() && e.name.toLowerCase() === 'readme.md') {
    const line = ruleIdLineOf(await smallTextOf(physical));
    if (line !== undefined) read.report(new RulesDirError(`\`${full}\` reads as a rule (it names a rule id), but a folder's README.md is documentation and is never loaded`, full, { line, col: 1 }, 'warning'));
  } else if (read.report !== undefined && target.isFile() && nearRuleExtension(e.name) !== undefined) {
    const text = await smallTextOf(physical);
    const line = anyRuleIdLineOf(text);
    if (line !== undefined && readsAsRuleFile(text, nearRuleExtension(e.name)!)) read.report(new RulesDirError(`\`${full}\` reads as a rule (it names a rule id), but its name does not end in a rule file's extension, so it is never loaded`, full, { line, col: 1 }, 'warning', 'misnamed-rule-file'));
  }
}

/**
 * A rule file's text. Rule files are UTF-8: one that is not is refused, naming where, rather
 * than read with U+FFFD in place of its bytes (a rule comparing against `"jos\xe9"` would then
 * compare against another string and never match). A leading byte order mark is dropped.
 */
export async function readRuleFile(file: string, shownAs = file): Promise<string> {
  const bytes = await readRegularFile(file, MAX_RULE_FILE_BYTES);
  if (bytes === 'too large') throw new RulesDirError(`\`${shownAs}\` is larger than ${MAX_RULE_FILE_BYTES / 1024 / 1024} MiB, more than any rule file; it is not read`, shownAs);
  if (!(bytes instanceof Uint8Array)) throw new RulesDirError(`\`${shownAs}\` is not a regular file`, shownAs);
  try {
    return decodeUtf8(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new RulesDirError(`\`${shownAs}\` is not valid UTF-8${at ? ` (line ${at.line}, column ${at.col})` : ''}; rule files are UTF-8`, shownAs, at);
  }
}

/**
 * Why `dir` cannot be read as a rules directory (missing, or not a directory), said with what
 * to do; undefined when it is a directory. `mge serve` and `mge check` refuse with it alike;
 * `caller: 'library'` (createEngineFromDir) leaves the CLI's flags out of it.
 */
export async function rulesDirProblem(dir: string, caller: 'cli' | 'library' = 'cli'): Promise<string | undefined> {
  const st = await stat(dir).catch(() => undefined);
  const windows = /\\/.test(dir) ? ' (`\\` is no path separator here: write `/`)' : '';
  const cli = caller === 'cli';
  if (st === undefined) return `rules directory \`${dir}\` not found${windows}; ${cli ? 'give `--rules DIR` or set MGE_RULES_DIR (the default is ./rules)' : 'a wrong path, or a volume not mounted?'}`;
  if (!st.isDirectory()) return `rules directory \`${dir}\` is not a directory${cli ? ' (`mge lint FILE` checks a single rule file)' : ''}`;
  return undefined;
}

/** A rule file by its name: a rule extension, and not a folder's README. */
function isRuleFile(name: string): boolean {
  return formatOf(name) !== undefined && name.toLowerCase() !== 'readme.md';
}
