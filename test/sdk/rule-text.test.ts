// The MDC writer's code spans against the MDC reader's own code-span parser: any expression text
// Markdown can hold on one line comes back exactly, whatever backticks and spaces it has.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trailingCodeSpan } from '../../src/rules/mdc-bullets.js';
import { codeSpan } from '../../src/sdk/rule-text.js';

describe('codeSpan', () => {
  it('round-trips through the reader for text with backticks and edge spaces', () => {
    const text = fc.string({ unit: fc.constantFrom('`', ' ', 'a', '"', '='), minLength: 1, maxLength: 16 }).filter((s) => s.trim() !== '');
    fc.assert(
      fc.property(text, (s) => {
        expect(trailingCodeSpan(`Message ${codeSpan(s)}`)?.content).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('uses a single backtick pair when the text needs nothing more', () => {
    expect(codeSpan('context.tls == true')).toBe('`context.tls == true`');
    expect(codeSpan('a == "`"')).toBe('`` a == "`" ``');
    expect(codeSpan(' x ')).toBe('`  x  `');
  });
});
