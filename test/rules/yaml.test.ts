import { describe, expect, it } from 'vitest';
import { cedarMessage, MAX_YAML_DEPTH, readYaml } from '../../src/rules/yaml.js';
import { lines } from './helpers.js';

describe('readYaml', () => {
  it('gives one value per document, with spans in the whole file', () => {
    const r = readYaml('rule_id: a\n---\nrule_id: b\nname: "B b"\n---\n', 'r.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.values).toHaveLength(2);
    const second = r.values[1];
    if (second.kind !== 'map') throw new Error('not a map');
    expect(second.entries.map((e) => [e.key, e.keySpan.line, e.keySpan.col, e.value.span.col])).toEqual([
      ['rule_id', 3, 1, 10], ['name', 4, 1, 7],
    ]);
  });

  // A rule author review (11-27): `requests_per_minute: 0755` loaded as 755; a YAML 1.1 reader says 493.
  it('refuses a number with a leading zero or 0o: YAML 1.1 and 1.2 readers disagree on it; hex, 0, 0.5 and quoted text pass', () => {
    const r = readYaml('a: 0755\nb: -012\nc: 0o17\nd: 0x10\ne: 0\nf: 0.5\ng: "0755"\nh: 00\n', 'n.yaml');
    expect(lines(r.diagnostics)).toEqual([
      '1:4 error yaml-ambiguous-number: `0755` reads as 755 here and as another number or a string to a YAML 1.1 reader (a leading zero is octal there) | write it in decimal without a leading zero (`755`), or quote it if it is text',
      '2:4 error yaml-ambiguous-number: `-012` reads as -12 here and as another number or a string to a YAML 1.1 reader (a leading zero is octal there) | write it in decimal without a leading zero (`-12`), or quote it if it is text',
      '3:4 error yaml-ambiguous-number: `0o17` reads as 15 here and as another number or a string to a YAML 1.1 reader (a leading zero is octal there) | write it in decimal without a leading zero (`15`), or quote it if it is text',
      '8:4 error yaml-ambiguous-number: `00` reads as 0 here and as another number or a string to a YAML 1.1 reader (a leading zero is octal there) | write it in decimal without a leading zero (`0`), or quote it if it is text',
    ]);
  });

  it('refuses a whole number a double rounds and a number that overflows it (as JSON rules and requests)', () => {
    const r = readYaml('a: 9007199254740993\nb: -1.0e+400\nc: .inf\nd: 9007199254740991\ne: 1.0e+300\n', 'n.yaml');
    expect(lines(r.diagnostics)).toEqual([
      '1:4 error invalid-number: integer `9007199254740993` is beyond ±(2^53−1): a double rounds it to 9007199254740992',
      '2:4 error invalid-number: number `-1.0e+400` overflows a double',
    ]);
  });

  // A review (11-28): `key_rotation_days: 3e1` enforced 30; PyYAML (YAML 1.1) reads the string `3e1`.
  it('refuses an exponent YAML 1.1 reads as a string (no dot, or an unsigned exponent); 1.0e+3 and text pass', () => {
    const r = readYaml('a: 3e1\nb: 1E3\nc: .5e2\nd: 1.5e3\ne: -2e-1\nf: 1.0e+3\ng: "3e1"\nh: 1e300\ni: 5e\nj: !!float 3e1\nk: -.5\nl: +.5e+2\nm: .5\nn: -0.5\n', 'n.yaml');
    expect(lines(r.diagnostics)).toEqual([
      '1:4 error yaml-ambiguous-number: `3e1` reads as 30 here and as a string to a YAML 1.1 reader (its floats need a dot and a signed exponent) | write it as `30`, or quote it if it is text',
      '2:4 error yaml-ambiguous-number: `1E3` reads as 1000 here and as a string to a YAML 1.1 reader (its floats need a dot and a signed exponent) | write it as `1000`, or quote it if it is text',
      '3:4 error yaml-ambiguous-number: `.5e2` reads as 50 here and as a string to a YAML 1.1 reader (its floats need a dot and a signed exponent) | write it as `50`, or quote it if it is text',
      '4:4 error yaml-ambiguous-number: `1.5e3` reads as 1500 here and as a string to a YAML 1.1 reader (its floats need a dot and a signed exponent) | write it as `1500`, or quote it if it is text',
      '5:4 error yaml-ambiguous-number: `-2e-1` reads as -0.2 here and as a string to a YAML 1.1 reader (its floats need a dot and a signed exponent) | write it as `-0.2`, or quote it if it is text',
      '8:4 error yaml-ambiguous-number: `1e300` reads as 1e+300 here and as a string to a YAML 1.1 reader (its floats need a dot and a signed exponent) | write it as `1.0e+300`, or quote it if it is text',
      '11:4 error yaml-ambiguous-number: `-.5` reads as -0.5 here and as a string to a YAML 1.1 reader (a sign before the dot needs a digit between them) | write it as `-0.5`, or quote it if it is text',
      '12:4 error yaml-ambiguous-number: `+.5e+2` reads as 50 here and as a string to a YAML 1.1 reader (a sign before the dot needs a digit between them) | write it as `50`, or quote it if it is text',
    ]);
  });

  it('puts the text start of quoted and block strings where the text begins', () => {
    const r = readYaml('a: "x"\nb: \'y\'\nc: |\n\n    z == 1\nd: plain\n', 'r.yaml');
    const m = r.values[0];
    if (m.kind !== 'map') throw new Error('not a map');
    const starts = m.entries.map((e) => (e.value.kind === 'string' ? e.value.textStart : undefined));
    expect(starts).toEqual([
      { file: 'r.yaml', line: 1, col: 5 },
      { file: 'r.yaml', line: 2, col: 5 },
      { file: 'r.yaml', line: 5, col: 5 },
      { file: 'r.yaml', line: 6, col: 4 },
    ]);
  });

  it('refuses a lone CR, which the package read as part of a line (`rule_id: a\\r` was an id); CR LF passes', () => {
    for (const [text, line, col] of [['rule_id: a\r', 1, 11], ['rule_id: a\nname: b\rnote: c\n', 2, 8], ['a: "x\ry"\n', 1, 6]] as const) {
      const r = readYaml(text, 'r.yaml');
      expect(r.values, JSON.stringify(text)).toEqual([]);
      expect(r.diagnostics.map((d) => [d.code, d.span.line, d.span.col])).toEqual([['line-endings', line, col]]);
      expect(r.diagnostics[0].message).toContain('lone carriage return');
    }
    const crlf = readYaml('rule_id: a\r\nname: b\r\n', 'r.yaml');
    expect(crlf.diagnostics).toEqual([]);
    expect(crlf.values[0]).toMatchObject({ kind: 'map', entries: [{ key: 'rule_id', value: { value: 'a' } }, { key: 'name', value: { value: 'b' } }] });
  });

  it('reports syntax errors at their line and column, and skips that document', () => {
    const r = readYaml('rule_id: a\n---\nkey: [1, 2\nother: 3\n', 'r.yaml');
    expect(r.values).toHaveLength(1);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.code === 'yaml-syntax' && d.span.line >= 3)).toBe(true);
    expect(r.diagnostics.every((d) => /^[a-z]/.test(d.message) && !d.message.endsWith('.'))).toBe(true);
  });

  it('reports the package\'s first error at its exact place, in our message style', () => {
    expect(lines(readYaml('a: 1\n b: 2\n', 'r.yaml').diagnostics)).toEqual([
      '1:4 error yaml-syntax: nested mappings are not allowed in compact mappings',
      '1:4 error yaml-syntax: implicit keys need to be on a single line',
    ]);
    // found at the end of the text: placed after its last character, not past the final newline
    expect(lines(readYaml('a: 1\nb: "x\n', 'r.yaml').diagnostics)[0]).toBe(
      '2:6 error yaml-syntax: missing closing "quote',
    );
    expect(lines(readYaml('rule_id: x\nprohibited:\n  - message: [oops\n\n', 'r.yaml').diagnostics)[0]).toMatch(/^3:19 error yaml-syntax: flow sequence/);
  });

  it('puts user text quoted by the package in backticks (regression: `|.:` ended a message with a period)', () => {
    expect(lines(readYaml('|.:', 'r.yaml').diagnostics)).toEqual([
      '1:2 error yaml-syntax: block scalar header includes extra characters: `|.:`',
    ]);
    expect(lines(readYaml('a: !foo x\n', 'r.yaml').diagnostics)).toEqual(['1:4 warning yaml-syntax: unresolved tag `!foo`']);
    expect(cedarMessage('Verbatim tags are not resolved.')).toBe('verbatim tags are not resolved');
    expect(cedarMessage('YAML thing:')).toBe('YAML thing');
  });

  it('reports duplicate keys by name and keeps the first value', () => {
    const r = readYaml('a: 1\nb: 2\na: 3\n', 'r.yaml');
    expect(lines(r.diagnostics)).toEqual(['3:1 error duplicate-key: duplicate key `a` | first given at line 1, column 1']);
    const m = r.values[0];
    if (m.kind !== 'map') throw new Error('not a map');
    expect(m.entries.map((e) => [e.key, e.value.kind === 'number' ? e.value.value : null])).toEqual([['a', 1], ['b', 2]]);
  });

  it('counts lines from firstLine, so embedded YAML reports file lines (help texts included)', () => {
    const r = readYaml('a: 1\na: 2\n', 'r.mdc', 5);
    expect(lines(r.diagnostics)).toEqual(['6:1 error duplicate-key: duplicate key `a` | first given at line 5, column 1']);
  });

  it('refuses aliases, so a rule file cannot blow up by expansion', () => {
    const r = readYaml('base: &b [1]\nuse: *b\n', 'r.yaml');
    expect(lines(r.diagnostics)).toEqual([
      '2:6 error yaml-alias: alias `*b` is not supported in rule files | write the value out in full',
    ]);
  });

  it('reports complex keys and values outside the JSON data model', () => {
    expect(lines(readYaml('? [a, b]\n: 1\nc: 2\n', 'r.yaml').diagnostics)).toEqual([
      '1:3 error invalid-key: a map key must be a plain value',
    ]);
    expect(lines(readYaml('a: !!binary aGVsbG8=\n', 'r.yaml').diagnostics)).toEqual([
      '1:13 error invalid-type: unsupported YAML value; rules use strings, numbers, booleans, null, lists and maps',
    ]);
  });

  it('treats `key:` with no value as null and skips empty documents', () => {
    const r = readYaml('---\n---\na:\n', 'r.yaml');
    expect(r.values).toHaveLength(1);
    const m = r.values[0];
    if (m.kind !== 'map') throw new Error('not a map');
    expect(m.entries[0].value.kind).toBe('null');
  });

  it('refuses deep nesting before the yaml package recurses (repeated: a second overflow crashed Node)', () => {
    // Pointed at where the nesting first goes past the limit (the 129th bracket; the content
    // after 3 000 compact `- ` markers).
    const deep: Array<[string, number]> = [['['.repeat(5000), 129], ['- '.repeat(3000) + 'x', 6001], ['{a: '.repeat(3000), 513], ['x:\n  ' + '['.repeat(5000), 129]];
    for (const [text, col] of deep) {
      const line = text.startsWith('x:') ? 2 : 1;
      expect(lines(readYaml(text, 'r.yaml').diagnostics)).toEqual([
        `${line}:${col} error yaml-syntax: nesting deeper than ${MAX_YAML_DEPTH} levels (indentation and brackets count)`,
      ]);
    }
    const ok = '['.repeat(MAX_YAML_DEPTH) + ']'.repeat(MAX_YAML_DEPTH);
    expect(readYaml(ok, 'r.yaml').diagnostics).toEqual([]);
  });

  it('counts markers alone on a line, but not the indentation of comments or blank lines', () => {
    // `- - - …` with nothing after is as deep as with content (the package recurses on it).
    expect(lines(readYaml('a: 1\n' + '- '.repeat(200) + '\nb: 2\n', 'r.yaml').diagnostics)).toEqual([
      `2:401 error yaml-syntax: nesting deeper than ${MAX_YAML_DEPTH} levels (indentation and brackets count)`,
    ]);
    const shallow = `a:\n${' '.repeat(300)}# a comment indented far\nb: 1\n${' '.repeat(300)}`;
    expect(readYaml(shallow, 'r.yaml').diagnostics).toEqual([]);
    // Pointed at the bracket that goes too deep, not at the end of a string after it.
    expect(lines(readYaml('['.repeat(129) + '"abc"]', 'r.yaml').diagnostics)).toEqual([
      `1:129 error yaml-syntax: nesting deeper than ${MAX_YAML_DEPTH} levels (indentation and brackets count)`,
    ]);
  });

  it('is not fooled by apostrophes in plain text, a comment after markers, or lone CRs (a review got 30 000 levels past it)', () => {
    const n = 300;
    const texts = [
      `rule_id: a\nnote: don't\nx: ${'['.repeat(n)}${']'.repeat(n)}\nwhy: it's\n`,
      `${'- '.repeat(n)}#c\n`,
      `a:\r${'- '.repeat(n)}x\r`,
      `a: "it's"\nb: ${'{'.repeat(n)}`,
    ];
    for (const text of texts) {
      expect(readYaml(text, 'r.yaml').diagnostics.map((d) => d.message), JSON.stringify(text.slice(0, 30))).toEqual([`nesting deeper than ${MAX_YAML_DEPTH} levels (indentation and brackets count)`]);
    }
  });

  it('takes a quote for a quoted scalar only where one starts, and never past its line (a second review: 11 more ways past)', () => {
    const deep = '['.repeat(300) + ']'.repeat(300);
    const before = ['x: |\n  "\n', 'x: a:"\n', 'x: a-"\n', 'x: a - "\n', 'x: a,"\n', 'x: a?"\n', 'x: a!"\n', 'x: a&"\n', "x: >\n  'tis\n", 'x: b\n  "c\n', 'x: b\r"\n', 'x: "a\\\n'];
    for (const pre of before) {
      expect(readYaml(`rule_id: a\n${pre}y: ${deep}\n`, 'r.yaml').diagnostics.map((d) => d.message), JSON.stringify(pre)).toContain(`nesting deeper than ${MAX_YAML_DEPTH} levels (indentation and brackets count)`);
    }
    // In a flow, text before a quote on the same line may be plain, and nesting after it real.
    for (const line of [`x: [a - "x, ${deep}`]) {
      expect(readYaml(line, 'r.yaml').diagnostics.map((d) => d.message), line.slice(0, 14)).toEqual([`nesting deeper than ${MAX_YAML_DEPTH} levels (indentation and brackets count)`]);
    }
  });

  it('does not count brackets inside quotes or comments towards the depth', () => {
    const text = `a: "${'['.repeat(300)}"\nb: '${'{'.repeat(300)}'\n# ${'['.repeat(300)}\n`;
    expect(readYaml(text, 'r.yaml').diagnostics).toEqual([]);
  });
});
