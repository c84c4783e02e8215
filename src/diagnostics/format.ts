// Diagnostics as text for people: the first line is always `file:line:col: severity: message`
// (editors and CI annotators parse that form), then, when the file's text is at hand, the line
// with a caret under the span, then the help.
//
//   rules/db.yaml:3:1: error: unknown field `catgory`
//     3 | catgory: security
//       | ^^^^^^^
//     = help: did you mean `category`?

import type { Diagnostic } from '../ir/types.js';

/**
 * @example formatDiagnostic(d) // 'rules/db.yaml:3:1: error: unknown field `catgory`\n  = help: did you mean `category`?'
 */
export function formatDiagnostic(d: Diagnostic, sourceText?: string): string {
  const { file, line, col } = d.span;
  // A file's name may hold them too (a newline in a name forged a second diagnostic line).
  const out = [`${namedControls(file)}:${line}:${col}: ${d.severity}: ${namedControls(d.message)}`];
  const snippet = sourceText === undefined ? undefined : caretLines(d, sourceText);
  if (snippet) out.push(...snippet);
  if (d.help) out.push(`  = help: ${namedControls(d.help)}`);
  return out.join('\n');
}

/**
 * A diagnostic of a rules directory read with paths relative to it, shown with the directory
 * in front, so the path opens from where the command ran (as `mge lint DIR` shows it).
 */
export function underDir(dir: string, d: Diagnostic): Diagnostic {
  let root = dir.replaceAll('\\', '/');
  while (root.endsWith('/')) root = root.slice(0, -1);
  if (root === '' || root === '.') return d;
  const moved = { ...d, span: { ...d.span, file: `${root}/${d.span.file}` } };
  // The place the help names moves too (else `mge check --rules e` says `e/dup2.json: …
  // first defined at dup1.yaml:1:10`, a path that opens from nowhere).
  const rel = d.related;
  if (rel === undefined) return moved;
  const at = (file: string): string => `${file}:${rel.line}:${rel.col}`;
  return { ...moved, related: { ...rel, file: `${root}/${rel.file}` }, ...(d.help === undefined ? {} : { help: d.help.replace(at(rel.file), at(`${root}/${rel.file}`)) }) };
}

/** The last text split into lines: a file's diagnostics are formatted one after another, and splitting it for each made lint quadratic in their number. */
let split: { text: string; lines: string[] } | undefined;
function linesOf(text: string): string[] {
  if (split?.text !== text) split = { text, lines: text.split('\n') };
  return split.lines;
}

function caretLines(d: Diagnostic, text: string): string[] | undefined {
  const { line, col, endLine, endCol } = d.span;
  const src = linesOf(text)[line - 1]?.replace(/\r$/, '');
  if (src === undefined) return undefined;
  const start = Math.min(Math.max(col - 1, 0), src.length);
  // Underline to the span's end on the same line, else to the end of the line (at least one caret).
  const end = endLine === line && endCol !== undefined ? Math.min(endCol - 1, src.length) : start + 1;
  // A long line (a minified JSON rule file) is shown around the span, not whole: a
  // 200 KB line was printed whole, with a caret line as long.
  // Never between the two halves of a character outside the BMP (an emoji): a lone half prints as U+FFFD.
  const from = src.length > 3 * CONTEXT ? pairStart(src, Math.max(0, start - CONTEXT)) : 0;
  const to = src.length > 3 * CONTEXT ? pairStart(src, Math.min(src.length, start + 2 * CONTEXT)) : src.length;
  const width = Math.max(1, Math.min(end, to) - start);
  const num = String(line);
  const gutter = ' '.repeat(num.length);
  const lead = from > 0 ? '…' : '';
  // Keep tabs so the caret lines up under a tab-indented source line.
  const pad = ' '.repeat(lead.length) + src.slice(from, start).replace(/[^\t]/g, ' ');
  return [`  ${num} | ${lead}${visible(src.slice(from, to))}${to < src.length ? '…' : ''}`, `  ${gutter} | ${pad}${'^'.repeat(width)}`];
}

/** `i`, or one less where `i` would cut a surrogate pair of `s` in two. */
function pairStart(s: string, i: number): number {
  const low = s.charCodeAt(i);
  const high = s.charCodeAt(i - 1);
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? i - 1 : i;
}

/** Characters of a long line shown before a span's start (and twice as many from it). */
const CONTEXT = 80;

/**
 * A message quotes what it refers to, which may hold control or format characters: an ESC
 * sequence would be run by the terminal, a newline would start what reads as another
 * diagnostic, a right-to-left override would reorder the line. Each is shown as `U+001B`.
 */
export function namedControls(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
}

/**
 * Control and format characters would garble a terminal (C1 `U+009B` acts as ESC `[` on some,
 * a right-to-left override reorders the line); show them as `?`, keeping every column. Tabs
 * stay, so the caret lines up.
 */
function visible(s: string): string {
  return s.replace(/[^\P{Cc}\t]|[\p{Cf}\p{Zl}\p{Zp}]/gu, '?');
}
