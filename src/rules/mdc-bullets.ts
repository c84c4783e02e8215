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

/** Punctuation that joins a message to its expression (`Raw SQL: \`…\``, `No writes — \`…\``). */
const JOINING = new Set([':', ';', ',', '—', '–', '-']);

/** Trims trailing whitespace and joining punctuation; by hand, as a `[…]+$` regex is quadratic. */
function trimJoining(s: string): string {
  let end = s.length;
  while (end > 0 && (JOINING.has(s[end - 1]) || /\s/.test(s[end - 1]))) end--;
  return s.slice(0, end);
}

export function readBullet(bullet: BulletLines, file: string): BulletMeaning {
  const parts = bullet.parts;
  const whole = parts.map((p) => p.text.trim()).join(' ').trim();
  const first: Span = { file, line: parts[0].line, col: parts[0].col };
  // The bullet's lines as one text, each line break a space: a code span may wrap onto the next
  // line (CommonMark reads the break in it as a space), and editors wrap long expressions.
  // An HTML comment after the expression (`<!-- JIRA-123 -->`) is not rendered: the bullet as
  // read ends with the code span (until 11-27 such a clause was advisory, never enforced).
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

/**
 * The inline code span that ends `s`, CommonMark-style: a run of N backticks closed by a run of
 * exactly N; one leading and one trailing space are stripped when both are there.
 */
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

export function trailingCodeSpan(s: string): { start: number; contentStart: number; content: string } | undefined {
  let close = s.length;
  while (close > 0 && s[close - 1] === '`') close--;
  const n = s.length - close;
  if (n === 0) return undefined;
  // Walk back to the opening run of exactly n backticks.
  for (let i = close - 1; i >= 0; i--) {
    if (s[i] !== '`') continue;
    let j = i;
    while (j > 0 && s[j - 1] === '`') j--;
    const run = i - j + 1;
    if (run === n) {
      let contentStart = i + 1;
      let content = s.slice(contentStart, close);
      if (content.length >= 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') {
        content = content.slice(1, -1);
        contentStart++;
      }
      if (content.trim() === '') return undefined;
      return { start: j, contentStart, content };
    }
    i = j;
  }
  return undefined;
}
