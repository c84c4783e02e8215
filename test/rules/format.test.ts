import { describe, expect, it } from 'vitest';
import { formatDiagnostic, underDir } from '../../src/diagnostics/format.js';
import { loadRuleSources } from '../../src/rules/load.js';
import type { Diagnostic } from '../../src/ir/types.js';

const d: Diagnostic = {
  severity: 'error', code: 'unknown-field', message: 'unknown field `catgory`', help: 'did you mean `category`?',
  span: { file: 'rules/db.yaml', line: 2, col: 1, endLine: 2, endCol: 8 },
};

describe('formatDiagnostic', () => {
  it('prints `file:line:col: severity: message` and the help', () => {
    expect(formatDiagnostic(d)).toBe('rules/db.yaml:2:1: error: unknown field `catgory`\n  = help: did you mean `category`?');
    expect(formatDiagnostic({ ...d, severity: 'warning', help: undefined })).toBe('rules/db.yaml:2:1: warning: unknown field `catgory`');
  });

  it('underlines the span in the source line', () => {
    expect(formatDiagnostic(d, 'rule_id: a\ncatgory: x\n')).toBe([
      'rules/db.yaml:2:1: error: unknown field `catgory`',
      '  2 | catgory: x',
      '    | ^^^^^^^',
      '  = help: did you mean `category`?',
    ].join('\n'));
  });

  it('puts one caret at a point, keeps tabs aligned, and survives spans past the text', () => {
    const point = { ...d, help: undefined, span: { file: 'f', line: 1, col: 3 } };
    expect(formatDiagnostic(point, '\tab cd')).toBe('f:1:3: error: unknown field `catgory`\n  1 | \tab cd\n    | \t ^');
    const multi = { ...d, help: undefined, span: { file: 'f', line: 10, col: 2, endLine: 11, endCol: 1 } };
    expect(formatDiagnostic(multi, 'x\n'.repeat(9) + 'abc\n')).toBe('f:10:2: error: unknown field `catgory`\n  10 | abc\n     |  ^');
    expect(formatDiagnostic({ ...point, span: { file: 'f', line: 9, col: 1 } }, 'one line')).toBe('f:9:1: error: unknown field `catgory`');
  });

  it('shows a long line around the span, not whole (a minified JSON rule file)', () => {
    // A review (11-29): a 200 KB one-line rule file was printed whole, with a caret line as long.
    const line = `{"a":"${'x'.repeat(100_000)}","bad":1,"b":"${'y'.repeat(100_000)}"}`;
    const at = line.indexOf('"bad"') + 1;
    const out = formatDiagnostic({ ...d, help: undefined, span: { file: 'f.json', line: 1, col: at, endLine: 1, endCol: at + 5 } }, line).split('\n');
    expect(out[1]).toBe(`  1 | …${'x'.repeat(78)}","bad":1,"b":"${'y'.repeat(147)}…`); // 80 before the span, 160 from it
    expect(out[2]).toBe(`    | ${' '.repeat(81)}^^^^^`);
    // Cut around the span, never inside an emoji (its lone half printed as U+FFFD; a review, 11-29).
    const emoji = '\u{1F600}';
    for (const before of [emoji.repeat(150), `x${emoji.repeat(150)}`]) {
      const text = `${before}\`action.type == )\`${emoji.repeat(150)}`;
      const col = before.length + 2;
      const shown = formatDiagnostic({ ...d, help: undefined, span: { file: 'f.mdc', line: 1, col } }, text).split('\n')[1];
      expect(shown.isWellFormed()).toBe(true);
      expect(shown).toContain(`…${emoji}`);
      expect(shown).toMatch(new RegExp(`${emoji}…$`, 'u'));
    }
    // A short line stays whole.
    expect(formatDiagnostic({ ...d, help: undefined, span: { file: 'f', line: 1, col: 3 } }, 'x'.repeat(240)).split('\n')[1]).toBe(`  1 | ${'x'.repeat(240)}`);
  });

  it('shows control characters a message quotes by name, never raw (an ESC would reach the terminal)', () => {
    const quoted = { ...d, message: 'unexpected character `\u001b`', help: 'a NUL `\u0000` or a C1 `\u009b` here' };
    expect(formatDiagnostic(quoted)).toBe('rules/db.yaml:2:1: error: unexpected character `U+001B`\n  = help: a NUL `U+0000` or a C1 `U+009B` here');
    // A newline would start what reads as another diagnostic; a bidi override would reorder the line.
    const key = { ...d, message: 'unknown field `bad\nrules/x.yaml:1:1: error: fake\u202e`', help: undefined };
    expect(formatDiagnostic(key)).toBe('rules/db.yaml:2:1: error: unknown field `badU+000Arules/x.yaml:1:1: error: fakeU+202E`');
    // The file's name too: a name can hold a newline.
    expect(formatDiagnostic({ ...key, message: 'm', span: { file: 'rules/a\nrules/b.yaml:1:1: error: fake.yaml', line: 1, col: 1 } })).toBe('rules/aU+000Arules/b.yaml:1:1: error: fake.yaml:1:1: error: m');
    // The source line under it too: C0, C1, bidi and line separators as `?`, tabs kept.
    const point = { ...d, help: undefined, span: { file: 'f', line: 1, col: 1 } };
    expect(formatDiagnostic(point, 'a\u202eb\u009bc\u2028d\te\u0000')).toBe('f:1:1: error: unknown field `catgory`\n  1 | a?b?c?d\te?\n    | ^');
  });
});

describe('underDir', () => {
  it('moves the place a duplicate id\'s help names along with the diagnostic (`mge check --rules e`, a review, 11-29)', () => {
    const rule = (id: string) => `rule_id: ${id}\nprohibited:\n  - message: m\n    when: action.type == "x"\n`;
    const [d] = loadRuleSources([{ path: 'dup1.yaml', text: rule('dup') }, { path: 'dup2.yaml', text: rule('dup') }]).diagnostics;
    expect(d.help).toBe('first defined at dup1.yaml:1:10; rule ids must be unique');
    const moved = underDir('e/', d);
    expect(moved.span.file).toBe('e/dup2.yaml');
    expect(moved.help).toBe('first defined at e/dup1.yaml:1:10; rule ids must be unique');
    expect(underDir('.', d)).toBe(d);
  });
});
