// Property against a reference: an MDC bullet's trailing code span is read as CommonMark reads
// it (SPEC §3.3: "if the bullet ENDS with an inline code span, that span is the expression"),
// compared with commonmark.js, the reference implementation of the CommonMark spec, on lines
// of backticks, backslashes, spaces and letters. A review of 11-27 found 52 disagreements in
// 120 000 such lines (a real trailing span read as prose: the clause not enforced).
// Left out on purpose: `<` (raw HTML and autolinks take precedence over code spans in
// CommonMark and MGE does not model them: a known gap, docs/semantics.md).

import { Parser, type Node } from 'commonmark';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeSpans, trailingCodeSpan } from '../../src/rules/mdc-bullets.js';

/** The content of the code span that ends the paragraph CommonMark reads `text` as, if one does. */
function referenceTrailingSpan(text: string): string | undefined {
  const doc = new Parser().parse(text);
  const para = doc.firstChild;
  if (para === null || para.type !== 'paragraph' || para.next !== null) return undefined;
  let last: Node | null = para.lastChild;
  // Trailing white space after the span is trimmed by both readers.
  while (last !== null && last.type === 'text' && last.literal?.trim() === '') last = last.prev;
  return last !== null && last.type === 'code' ? (last.literal ?? '') : undefined;
}

const line = fc.array(fc.constantFrom('`', '``', '\\', ' ', 'a', 'b == 1'), { minLength: 1, maxLength: 24 }).map((parts) => `x ${parts.join('')}`);

describe('MDC trailing code span', () => {
  it('is the one commonmark.js renders at the end of the line (or none when it renders none)', () => {
    fc.assert(fc.property(line, (text) => {
      const reference = referenceTrailingSpan(text);
      const ours = trailingCodeSpan(text.trimEnd());
      // A span of only spaces is no expression for MGE (the bullet is advisory).
      expect(ours?.content, text).toBe(reference === undefined || reference.trim() === '' ? undefined : reference);
    }), { numRuns: 20_000 });
  });

  // A re-review (11-27): the message's spans (mdc-condition-in-message) ignored backslash
  // escapes, 2 521 disagreements in 200 000 lines; so a condition after `\`` went unwarned.
  it('every span of a line is one commonmark.js renders, in order', () => {
    fc.assert(fc.property(line, (text) => {
      const reference: string[] = [];
      const walker = new Parser().parse(text).walker();
      for (let e = walker.next(); e !== null; e = walker.next()) if (e.entering && e.node.type === 'code') reference.push(e.node.literal ?? '');
      // CommonMark strips one space from each end of a span holding more than spaces.
      const ours = codeSpans(text).map((c) => (c.length >= 2 && c.startsWith(' ') && c.endsWith(' ') && c.trim() !== '' ? c.slice(1, -1) : c));
      expect(ours, text).toEqual(reference);
    }), { numRuns: 20_000 });
  });
});
