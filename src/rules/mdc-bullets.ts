// One bullet of an MDC `## Prohibited` / `## Required` section (SPEC §3.3): if it ENDS with an
// inline code span, that span is the expression and the text before it the message; otherwise
// the bullet is an advisory clause. Kept apart from mdc.ts because the code-span rules
// (backtick runs, the one stripped space) are fiddly and tested on their own.

import type { Span } from '../ir/types.js';

/** A bullet as found in the file: its text, line by line, with the column of each line's text. */
export interface BulletLines {
  parts: { text: string; line: number; col: number }[];
}

export type BulletMeaning =
  | { kind: 'checkable'; message: string; messageSpan: Span; expr: string; exprSpan: Span }
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
  const last = parts[parts.length - 1];
  const whole = parts.map((p) => p.text.trim()).join(' ').trim();
  const first: Span = { file, line: parts[0].line, col: parts[0].col };
  const code = trailingCodeSpan(last.text.trimEnd());
  if (!code) return { kind: 'advisory', text: whole, span: first };

  const joined = [...parts.slice(0, -1).map((p) => p.text.trim()), last.text.slice(0, code.start).trim()]
    .join(' ');
  const before = trimJoining(joined).trim();
  const exprSpan: Span = {
    file,
    line: last.line,
    col: last.col + code.contentStart,
    endLine: last.line,
    endCol: last.col + code.contentStart + code.content.length,
  };
  // A bullet that is only a code span still needs a message for decisions: the expression says it.
  const message = before === '' ? code.content : before;
  return { kind: 'checkable', message, messageSpan: before === '' ? exprSpan : first, expr: code.content, exprSpan };
}

/**
 * The inline code span that ends `s`, CommonMark-style: a run of N backticks closed by a run of
 * exactly N; one leading and one trailing space are stripped when both are there.
 */
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
