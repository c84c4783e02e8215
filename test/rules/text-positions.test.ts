import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRuleText } from '../../src/rules/load.js';
import { valueOffsets } from '../../src/rules/text-positions.js';
import { lines } from './helpers.js';

/** `line:col` of every `@` the expression parser stumbled on. */
function stumbles(text: string, format: 'yaml' | 'json'): string[] {
  return lines(parseRuleText(text, format, `r.${format}`).diagnostics)
    .filter((l) => l.includes('unexpected character `@`'))
    .map((l) => l.split(' ')[0]);
}

describe('expression errors inside YAML and JSON strings point at the character written', () => {
  it('YAML: escapes, doubled quotes, folded plain lines, literal and folded blocks', () => {
    const text = [
      'rule_id: a', //                                                      1
      'name: A',
      'prohibited:',
      '  - message: m',
      '    when: "action.x == \\"q\\u00e9\\" && @"', //                           5
      '  - message: m2',
      "    when: 'action.x == \"it''s\" && @'",
      '  - message: m3',
      '    when: action.x == 1 &&',
      '      action.y == @', //                                            10
      'required:',
      '  - message: n',
      '    check: |',
      '      action.a == 1 &&',
      '        action.b == @', //                                          15
      '  - message: o',
      '    check: >',
      '      action.c == 1',
      '      && action.d == @',
      '  - message: p', //                                                 20
      '    check: "action.e == 1 \\',
      '      && @"',
      '  - message: q',
      '    check: "action.f == 1\\', //                                      24
      '      \\ && @"', // the indentation dropped, then an escaped space (a review, 11-27)
    ].join('\n');
    expect(stumbles(text, 'yaml')).toEqual(['5:39', '7:35', '10:19', '15:21', '19:22', '22:10', '25:12']);
  });

  it('JSON: escapes before the error', () => {
    const text = '{"rule_id": "a", "name": "A", "prohibited": [{"message": "m", "when": "action.x == \\"q\\u00e9\\" && @"}]}';
    expect(stumbles(text, 'json')).toEqual([`1:${text.indexOf('@') + 1}`]);
  });
});

describe('valueOffsets', () => {
  it('maps each character of a JSON string to where JSON.stringify wrote it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const src = JSON.stringify(value);
        const offsets = valueOffsets(src, 1, src.length - 1, value, 'double');
        let prev = 0;
        for (let i = 0; i < value.length; i++) {
          const at = offsets[i];
          expect(at).toBeGreaterThanOrEqual(prev);
          // Either the character itself, or the backslash of the escape that wrote it.
          if (src[at] !== value[i]) expect(src[at]).toBe('\\');
          prev = at;
        }
        expect(offsets[value.length]).toBe(src.length - 1);
      }),
      { numRuns: 1000 },
    );
  });

  it('places what it cannot follow at the last position found, never past the source', () => {
    const offsets = valueOffsets('abc', 0, 3, 'abz!', 'plain');
    expect([...offsets]).toEqual([0, 1, 2, 2, 2]);
  });
});
