// One bullet of an MDC `## Prohibited` / `## Required` section (SPEC §3.3): if it ENDS with an
// inline code span (which may wrap over its lines), that span is the expression and the text
// before it the message; otherwise the bullet is an advisory clause. Kept apart from mdc.ts
// because the code-span rules (backtick runs, the one stripped space) are fiddly and tested on
// their own.

import type { Span } from '../ir/types.js';
import type { TextPositions } from './text-positions.js';

/** A bullet as found in the file: its text, line by line, with the column of each line's text. */
export interface BulletLines {
  parts: { text: string; line: number; col: number }[];
}

export type BulletMeaning =
  | { kind: 'checkable'; message: string; messageSpan: Span; expr: string; exprSpan: Span; exprAt: TextPositions }
  | { kind: 'advisory'; text: string; span: Span };

/**
 * The message before a bullet's expression, without the one mark that joins it to the
 * expression (`Raw SQL: \`…\``, `No writes — \`…\``, `Careful, \`…\``): one `:`, `,` or `;`
 * (not the `;` of an entity such as `&lt;`), or a dash run: `—`/`–`, or `-` after a space (a
 * hyphen ending a word stays), not every trailing mark: `&lt;` keeps its `;`.
 * By hand: a `[…]+$` regex is quadratic.
 */
function trimJoining(s: string): string {
  const t = s.trimEnd();
  const last = t[t.length - 1];
  if (last === ':' || last === ',') return t.slice(0, -1).trimEnd();
  if (last === ';') return /&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);$/.test(t.slice(-40)) ? t : t.slice(0, -1).trimEnd();
  let start = t.length;
  while (start > 0 && (t[start - 1] === '-' || t[start - 1] === '—' || t[start - 1] === '–')) start--;
  if (start === t.length) return t;
  const run = t.slice(start);
  const spaced = start === 0 || /\s/.test(t[start - 1]);
  return run.includes('—') || run.includes('–') || spaced ? t.slice(0, start).trimEnd() : t;
}

export function readBullet(bullet: BulletLines, file: string): BulletMeaning {
  const parts = bullet.parts;
  const whole = parts.map((p) => p.text.trim()).join(' ').trim();
  const first: Span = { file, line: parts[0].line, col: parts[0].col };
  // The bullet's lines as one text, each line break a space: a code span may wrap onto the next
  // line (CommonMark reads the break in it as a space), and editors wrap long expressions.
  // An HTML comment after the expression (`<!-- JIRA-123 -->`) is not rendered: the bullet as
  // read ends with the code span (else such a clause is advisory, never enforced).
  const text = withoutTrailingHtmlComments(parts.map((p) => p.text).join(' '));
  const code = trailingCodeSpan(text);
  if (!code) return { kind: 'advisory', text: whole, span: first };

  /** Where character `i` of `text` is written: its line's part and the offset in that part. */
  const partAt = (i: number): { k: number; offset: number } => {
    let k = 0;
    while (k < parts.length - 1 && i > parts[k].text.length) i -= parts[k++].text.length + 1;
    return { k, offset: i };
  };
  const pointAt = (i: number): { line: number; col: number } => {
    const { k, offset } = partAt(i);
    return { line: parts[k].line, col: parts[k].col + offset };
  };
  /** The expression's characters [start, end) as a span in the file. */
  const exprAt = (start: number, end: number): Span => {
    const a = pointAt(code.contentStart + start);
    const b = pointAt(code.contentStart + Math.max(start, end - 1));
    return { file, line: a.line, col: a.col, endLine: b.line, endCol: end > start ? b.col + 1 : b.col };
  };

  const opening = partAt(code.start);
  const joined = [...parts.slice(0, opening.k).map((p) => p.text.trim()), parts[opening.k].text.slice(0, opening.offset).trim()].join(' ');
  const before = trimJoining(joined).trim();
  const exprSpan = exprAt(0, code.content.length);
  // A bullet that is only a code span still needs a message for decisions: the expression says it.
  const message = before === '' ? code.content : before;
  return { kind: 'checkable', message, messageSpan: before === '' ? exprSpan : first, expr: code.content, exprSpan, exprAt };
}

/** `s` without the HTML comments it ends with (and the white space around them), trimmed at its end. */
export function withoutTrailingHtmlComments(s: string): string {
  let t = s.trimEnd();
  while (t.endsWith('-->')) {
    const open = t.lastIndexOf('<!--', t.length - 3);
    if (open < 0) break;
    t = t.slice(0, open).trimEnd();
  }
  return t;
}

/**
 * The contents of the inline code spans in `s`, CommonMark-style (a run of N backticks closed by
 * the next run of exactly N; a run never closed is literal; outside a span a backslash escapes
 * a backtick, so `\`` opens nothing and `\``` opens with one, while inside a span a backslash
 * is text and a run after it closes). Linear: each run's closer is found through the next run
 * of its length, where a regex backtracked quadratically over long runs (a 64 KB
 * rule PUT held the server 9 s).
 */
export function codeSpans(s: string): string[] {
  // Each run whole (what closes a span) and as an opener (its escaped first backtick left out).
  const runs: { at: number; n: number; escaped: boolean }[] = [];
  let backslashes = 0;
  for (let i = 0; i < s.length;) {
    if (s[i] !== '`') {
      backslashes = s[i] === '\\' ? backslashes + 1 : 0;
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] === '`') j++;
    runs.push({ at: i, n: j - i, escaped: backslashes % 2 === 1 });
    backslashes = 0;
    i = j;
  }
  const opens = (k: number): number => runs[k].n - (runs[k].escaped ? 1 : 0);
  // The next run whose whole length is this run's opening length, from the end.
  const next = new Array<number>(runs.length).fill(-1);
  const lastOfLength = new Map<number, number>();
  for (let k = runs.length - 1; k >= 0; k--) {
    next[k] = lastOfLength.get(opens(k)) ?? -1;
    lastOfLength.set(runs[k].n, k);
  }
  const spans: string[] = [];
  for (let k = 0; k < runs.length;) {
    const close = next[k];
    if (opens(k) === 0 || close < 0) {
      k++;
      continue;
    }
    spans.push(s.slice(runs[k].at + runs[k].n, runs[close].at));
    k = close + 1;
  }
  return spans;
}

/**
 * The inline code span that ends `s`, CommonMark-style: a run of N backticks closed by a run of
 * exactly N; one leading and one trailing space are stripped when both are there. Read left to
 * right, as CommonMark reads it: a backslash-escaped backtick outside a span opens none (read
 * from the end, `Quote it as \`a == 1`` was enforced as a clause whose message ended in a
 * stray backslash), and a run with no closing run is literal text.
 */
export function trailingCodeSpan(s: string): { start: number; contentStart: number; content: string } | undefined {
  // As cmark does: once a search for a closing run has reached the end, where the last run of
  // each length starts is known, and an opening run after it is text at once (searching again
  // from each of many unclosed runs would take quadratic time on a crafted line).
  let searchedToEnd = false;
  const lastRun = new Map<number, number>();
  let i = 0;
  while (i < s.length) {
    if (s[i] === '\\' && i + 1 < s.length && ASCII_PUNCTUATION.test(s[i + 1])) {
      i += 2; // an escaped character is text, a backtick too
      continue;
    }
    if (s[i] !== '`') {
      i++;
      continue;
    }
    const open = runEnd(s, i);
    const n = open - i;
    let close = searchedToEnd && (lastRun.get(n) ?? -1) < open ? s.length : open;
    while (close < s.length) {
      if (s[close] !== '`') {
        close++;
        continue;
      }
      const end = runEnd(s, close);
      // Only ever later: a search that stopped at its closer saw no further, and an earlier
      // position put back made a later opener of that length text (a real trailing
      // span read as advisory, the rule unenforced, unlike commonmark.js).
      if ((lastRun.get(end - close) ?? -1) < close) lastRun.set(end - close, close);
      if (end - close === n) break;
      close = end;
    }
    if (close >= s.length) {
      searchedToEnd = true;
      i = open; // no closing run: these backticks are text
      continue;
    }
    if (close + n < s.length) {
      i = close + n;
      continue;
    }
    let contentStart = open;
    let content = s.slice(open, close);
    if (content.length >= 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') {
      content = content.slice(1, -1);
      contentStart++;
    }
    return content.trim() === '' ? undefined : { start: i, contentStart, content };
  }
  return undefined;
}

/** Where the run of backticks starting at `i` ends. */
function runEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length && s[j] === '`') j++;
  return j;
}

/** What a backslash escapes in CommonMark (§2.4): the source of ASCII_PUNCTUATION and of mdc-clause-titles.ts's unescaping. */
export const ASCII_PUNCTUATION_CLASS = '[!-/:-@[-`{-~]';
const ASCII_PUNCTUATION = new RegExp(ASCII_PUNCTUATION_CLASS);
