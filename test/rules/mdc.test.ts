import { describe, expect, it } from 'vitest';
import { readMdc } from '../../src/rules/mdc.js';
import { ADVISORY_HELP } from '../../src/rules/mdc-lint.js';
import { readBullet, trailingCodeSpan } from '../../src/rules/mdc-bullets.js';
import type { RawValue } from '../../src/rules/raw.js';
import { readYaml } from '../../src/rules/yaml.js';
import { parseRuleText } from '../../src/rules/load.js';
import { createEngine } from '../../src/engine/engine.js';
import { lines, plain } from './helpers.js';
import { growthOver4x } from '../linear-time.js';

const EXAMPLE = `---
description: "Production database access control"
category: "data_governance"
applies_to: { actions: ["db.*"] }
---

# Database Access Control

**Rule ID:** \`db-access-control\`

## Prohibited
- Direct database modifications in production \`action.type == "db.write" && context.environment == "production"\`
- Raw SQL queries from application code: \`action.query_kind == "raw_sql"\`

## Required
- Connections must use SSL/TLS encryption \`context.connection.tls == true\`
- All database operations must use ORM
`;


function entry(v: RawValue, key: string): RawValue {
  if (v.kind !== 'map') throw new Error('not a map');
  const e = v.entries.find((x) => x.key === key);
  if (!e) throw new Error(`no ${key}`);
  return e.value;
}

describe('readMdc', () => {
  it('reads the SPEC example: front matter, heading, rule id line, clauses, advisory', () => {
    const r = readMdc(EXAMPLE, 'db.mdc');
    expect(plain(r.values[0])).toEqual({
      description: 'Production database access control',
      category: 'data_governance',
      applies_to: { actions: ['db.*'] },
      rule_id: 'db-access-control',
      name: 'Database Access Control',
      prohibited: [
        { message: 'Direct database modifications in production', when: 'action.type == "db.write" && context.environment == "production"' },
        { message: 'Raw SQL queries from application code', when: 'action.query_kind == "raw_sql"' },
      ],
      required: [{ message: 'Connections must use SSL/TLS encryption', check: 'context.connection.tls == true' }],
      advisory: ['All database operations must use ORM'],
    });
    expect(lines(r.diagnostics)).toEqual([
      `17:3 warning advisory-clause: clause \`All database operations must use ORM\` has no expression and is never enforced | ${ADVISORY_HELP}`,
    ]);
  });

  // A review (11-27): `db.a` was approved, lint said "no problems", the message kept the first span.
  it("warns of a condition written in a bullet's message: only the span that ends it is evaluated", () => {
    const text = '---\nrule_id: o1\n---\n# O1\n## Prohibited\n' +
      '- Either `action.type == "db.a"` or `action.type == "db.b"`\n' +
      '- No `exists(context.sudo)` checks here `action.type == "c"`\n' +
      '- Shell `a && b`, the `action.table` field, `<=` in prose `action.type == "e"`\n' +
      '- Never run `tail -f request.log > /tmp/out` or `cp action.yaml /etc && sync` `action.type == "f"`\n' +
      '- Write \\`action.x == 1\\` literally `action.type == "g"`\n' +
      '- Either \\``action.type == "h"` or `action.type == "i"`\n' +
      '- Over budget (`action.cost * 1.2`, `-action.amount`, `[action.a, action.b]`, `len(action.items)`) `action.cost * 1.2 > context.budget`\n' +
      '- Either `action["file-path"] == "a"` or `action.type == "j"`\n' +
      '- Writes to the `users` table, or `rm -rf` `action.table == "users"`\n' +
      '- `action.type == "d"`\n';
    const r = readMdc(text, 'o1.mdc');
    expect(lines(r.diagnostics)).toEqual([
      '6:3 warning mdc-condition-in-message: only the code span that ends a bullet is its expression: `action.type == "db.a"` before it is message text and is never evaluated | join the conditions into the one expression that ends the bullet (`action.type == "db.a" || …`, or `&&`), or give each its own bullet',
      '7:3 warning mdc-condition-in-message: only the code span that ends a bullet is its expression: `exists(context.sudo)` before it is message text and is never evaluated | join the conditions into the one expression that ends the bullet (`exists(context.sudo) || …`, or `&&`), or give each its own bullet',
      '11:3 warning mdc-condition-in-message: only the code span that ends a bullet is its expression: `action.type == "h"` before it is message text and is never evaluated | join the conditions into the one expression that ends the bullet (`action.type == "h" || …`, or `&&`), or give each its own bullet',
      '13:3 warning mdc-condition-in-message: only the code span that ends a bullet is its expression: `action["file-path"] == "a"` before it is message text and is never evaluated | join the conditions into the one expression that ends the bullet (`action["file-path"] == "a" || …`, or `&&`), or give each its own bullet',
    ]);
    // Linear on a long word in a span that reads the request (a regex for calls was quadratic).
    const word = '---\nrule_id: w\n---\n# W\n## Prohibited\n- No `action.x ' + 'a'.repeat(100_000) + '` here `action.type == "x"`\n';
    const t0 = performance.now();
    expect(readMdc(word, 'w.mdc').diagnostics).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(2000);
    // Linear in a bullet of long backtick runs (a regex took seconds on 64 KB).
    const long = '---\nrule_id: l\n---\n# L\n## Prohibited\n- ' + '`'.repeat(100_000) + ' no ' + Array.from({ length: 400 }, (_, i) => '`'.repeat(i + 1) + 'a').join('') + ' `action.type == "x"`\n';
    const started = performance.now();
    readMdc(long, 'l.mdc');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('points expressions at their column inside the bullet, and front matter at its file line', () => {
    const r = readMdc(EXAMPLE, 'db.mdc');
    const when = entry(entry(r.values[0], 'prohibited').kind === 'list' ? (entry(r.values[0], 'prohibited') as { items: RawValue[] }).items[1] : r.values[0], 'when');
    expect(when.kind === 'string' && when.textStart).toEqual({ file: 'db.mdc', line: 13, col: 43, endLine: 13, endCol: 73 });
    expect(entry(r.values[0], 'category').span).toEqual({ file: 'db.mdc', line: 3, col: 11, endLine: 3, endCol: 28 });
    expect(entry(r.values[0], 'rule_id').span).toMatchObject({ line: 9, col: 15 });
    expect(entry(r.values[0], 'name').span).toMatchObject({ line: 7, col: 3 });
  });

  it('reads a ```yaml conditions block with positions on file lines', () => {
    const text = '# T\n\n**Rule ID:** `t`\n\n```yaml conditions\n- type: rate_limit_check\n  parameters: { requests_per_minute: 5 }\n```\n';
    const r = readMdc(text, 't.md');
    expect(r.diagnostics).toEqual([]);
    const conds = entry(r.values[0], 'conditions');
    expect(plain(conds)).toEqual([{ type: 'rate_limit_check', parameters: { requests_per_minute: 5 } }]);
    const type = entry((conds as { items: RawValue[] }).items[0], 'type');
    expect(type.span).toMatchObject({ line: 6, col: 9 });
  });

  it('reads front matter scalars as the same YAML file would, kept final newlines included', () => {
    for (const front of ['description: |+\n  kept\n', 'description: |+\n  kept\n\n', 'name: |-\n  stripped\n\n', 'description: >+\n  a\n  b\n\n\n']) {
      const fromMdc = readMdc(`---\n${front}---\n# T\n`, 't.mdc').values[0];
      const fromYaml = readYaml(front, 't.yaml').values[0];
      const key = front.split(':')[0];
      expect(plain(entry(fromMdc, key))).toBe(plain(entry(fromYaml, key)));
    }
  });

  it('maps YAML errors in the front matter and the conditions block to file lines', () => {
    const text = '---\nname: ok\nbad: [\n---\n# T\n```yaml conditions\n- a: 1\n b: 2\n```\n';
    const r = readMdc(text, 't.mdc');
    const at = r.diagnostics.map((d) => `${d.code}@${d.span.line}`);
    expect(at[0]).toMatch(/^yaml-syntax@[34]$/);
    expect(at).toContain('yaml-syntax@8');
  });

  it('reports a rule id that differs from the front matter', () => {
    const r = readMdc('---\nrule_id: a\n---\n**Rule ID:** `b`\n', 't.mdc');
    expect(lines(r.diagnostics)).toEqual([
      '4:15 error rule-id-mismatch: rule id `b` differs from `a` in the front matter | give the rule id once, in the front matter or in the `**Rule ID:**` line',
    ]);
  });

  it('reports two different rule id lines', () => {
    const r = readMdc('**Rule ID:** `a`\n\n**Rule ID:** `b`\n', 't.mdc');
    expect(lines(r.diagnostics)).toEqual([
      '3:15 error rule-id-mismatch: rule id `b` differs from `a` given before | one file holds one rule; keep one `**Rule ID:**` line',
    ]);
  });

  // A review (11-27): only "missing required field `rule_id`" at 1:1 was said.
  it('names a `**Rule ID:**` line whose id is not in backticks', () => {
    const r = readMdc('# T\n\n**Rule ID:** abc\n\n## Prohibited\n- m `true`\n', 't.mdc');
    expect(lines(r.diagnostics)).toEqual([
      '3:14 error rule-id-line: the `**Rule ID:**` line gives its id without backticks, so it is read as description | write the id as a code span: **Rule ID:** `abc`',
    ]);
    expect(lines(readMdc('```\n**Rule ID:** abc\n```\n**Rule ID:** `abc`\n', 't.mdc').diagnostics)).toEqual([]); // in a fence: text
  });

  it('names a second rule\'s front matter pasted into the body (it would be description)', () => {
    const r = readMdc('---\nrule_id: a\n---\n---\nrule_id: b\n---\n## Prohibited\n- m `true`\n', 't.mdc');
    expect(lines(r.diagnostics)).toEqual([
      '5:1 error mdc-second-front-matter: a `rule_id:` line under `---` in the body: front matter is only at the top of the file, so this reads as description | one file holds one rule: put the other rule in a file of its own',
    ]);
    expect(lines(readMdc('---\nrule_id: a\n---\n```yaml\nrule_id: b\n```\n', 't.mdc').diagnostics)).toEqual([]); // an example in a fence
  });

  // The review of those two checks (11-27): they fired on text Markdown shows as HTML, code or
  // a paragraph, and `mge serve` refused to start on a valid rule file.
  it('leaves `rule_id:` and `**Rule ID:**` lines in HTML, code, paragraphs and list items alone', () => {
    const rule = (description: string) => `---\nrule_id: r1\n---\n# R\n\n${description}\n\n## Prohibited\n- No x \`action.type == "x"\`\n`;
    for (const description of [
      '<pre>\nrule_id: x\n</pre>',
      '<div>\nrule_id: x\n</div>',
      'Every rule has an id, given as\nrule_id: it must be unique.',
      '- an item\nrule_id: a lazy continuation',
      '    **Rule ID:** foo',
      '- item\n\n    **Rule ID:** foo',
      '<div>\n**Rule ID:** foo\n</div>',
      '**Rule ID:** see above', // the rule has an id: this line is description
    ]) {
      expect(lines(readMdc(rule(description), 't.mdc').diagnostics), description).toEqual([]);
    }
  });

  it('reports front matter that is not closed, and front matter that is not a map', () => {
    expect(lines(readMdc('---\nname: x\n', 't.mdc').diagnostics)).toEqual([
      '1:1 error mdc-front-matter: front matter is not closed | end it with a line `---`',
    ]);
    expect(lines(readMdc('---\n- a\n---\n', 't.mdc').diagnostics)).toEqual([
      '2:1 error invalid-shape: front matter must be a map of rule fields',
    ]);
  });

  it('reports a conditions block that is not closed or not a list', () => {
    expect(lines(readMdc('# T\n```yaml conditions\n- type: x\n', 'r.mdc').diagnostics)).toEqual([
      '2:1 error mdc-fence: the ```yaml conditions block is not closed | end it with a line ```',
    ]);
    expect(lines(readMdc('# T\n```yaml conditions\ntype: x\n```\n', 'r.mdc').diagnostics)).toEqual([
      '3:1 error invalid-type: a ```yaml conditions block must hold a list of conditions',
    ]);
  });

  it('takes the description from other sections, unless the front matter gives one', () => {
    const text = '# T\n\nIntro line.\n\n## Prohibited\n- X `true`\n\n## Notes\nMore.\n';
    expect(plain(entry(readMdc(text, 't.mdc').values[0], 'description'))).toBe('Intro line.\n\n## Notes\nMore.');
    expect(plain(entry(readMdc('---\ndescription: D\n---\n' + text, 't.mdc').values[0], 'description'))).toBe('D');
  });

  it('leaves headings with nothing under them out of the description', () => {
    const text = '# T\n\n## Conditions\n```yaml conditions\n- type: expression\n  parameters: {expr: "true"}\n```\n## Notes\nKeep.\n## Empty\n';
    expect(plain(entry(readMdc(text, 't.mdc').values[0], 'description'))).toBe('## Notes\nKeep.');
  });

  it('reads closing `#` runs off headings, but not a `#` that ends a word', () => {
    expect(plain(entry(readMdc('# Title ##\n', 't.mdc').values[0], 'name'))).toBe('Title');
    expect(plain(entry(readMdc('#   C#\n', 't.mdc').values[0], 'name'))).toBe('C#');
    expect(entry(readMdc('#   C#\n', 't.mdc').values[0], 'name').span).toMatchObject({ line: 1, col: 5 });
  });

  it('treats headings case-insensitively and ignores headings inside fences', () => {
    const text = '## PROHIBITED\n- a `x == 1`\n```\n## Required\n- not a clause `y`\n```\n';
    const r = readMdc(text, 't.mdc');
    expect(plain(entry(r.values[0], 'prohibited'))).toEqual([{ message: 'a', when: 'x == 1' }]);
    expect(() => entry(r.values[0], 'required')).toThrow();
  });

  // A review (11-27): only the heading's first word was compared, so `## 1. Prohibited` made
  // its clauses description without a word, and a check they forbid was approved.
  it('warns when a heading names a clause past its first word and a bullet under it holds an expression', () => {
    for (const heading of ['## 1. Prohibited', '## 🚫 Prohibited', "## Don'ts (prohibited)", '## Also required']) {
      const r = readMdc(`# T\n**Rule ID:** \`x\`\n## Required\n- tls \`context.tls == true\`\n${heading}\n- no drops \`action.type == "db.drop"\`\n`, 't.mdc');
      const name = heading.toLowerCase().includes('prohibited') ? 'Prohibited' : 'Required';
      expect(lines(r.diagnostics), heading).toEqual([
        `6:1 warning mdc-section-heading: heading \`${heading}\` is not \`## ${name}\`, so the bullets under it are description and never enforced | to have them checked, write the heading exactly \`## ${name}\` (any case, level 2 or deeper)`,
      ]);
    }
    // Prose under such a heading is no clause: nothing to say.
    expect(readMdc('# T\n**Rule ID:** `x`\n## Required\n- tls `context.tls == true`\n## Why some things are prohibited\n- history\n', 't.mdc').diagnostics).toEqual([]);
  });

  it('warns about a heading that reads like Prohibited or Required but is not one', () => {
    const text = '# Title\n## Prohibited actions\n- a `x == 1`\n## **Required**\n## Prohibitted\n# Required\n## Notes\n- run `npm test`\n## required\n';
    const r = readMdc(text, 't.mdc');
    expect(r.diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`)).toEqual([
      '2 warning mdc-section-heading', '5 warning mdc-section-heading', '6 warning mdc-section-heading',
    ]);
    expect(r.diagnostics[0].message).toBe('heading `## Prohibited actions` is not `## Prohibited`, so the bullets under it are description and never enforced');
    // An invisible character spelled as an entity is warned of as the character itself is.
    for (const heading of ['## Prohi&shy;bited', '## Prohi&#173;bited', '## Pro&zwj;hibited', '## Proh&#8203;ibited', '## Requi\u00adred']) {
      const near = readMdc(`# T\n## Required\n- ok \`true\`\n${heading}\n- a \`action.type == "db.drop"\`\n`, 't.mdc');
      expect(near.diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`), heading).toEqual(['4 warning mdc-section-heading']);
    }
  });

  // A review (11-27): its fields (conditions, a scope) were dropped with only a warning, and
  // an opener such as `--- # config`, `---yaml` or `----` was read as description silently.
  it('refuses a front matter block that does not open the file with a bare `---` (a header of description only: a warning)', () => {
    const r = readMdc('\n---\nrule_id: fm\n---\n# T\n## Prohibited\n- x `true`\n', 't.mdc');
    expect(lines(r.diagnostics)[0]).toBe('2:1 error mdc-front-matter: this `---` is not front matter: front matter opens with `---` at the very start of the file | remove what is above it (blank lines, spaces)');
    expect(lines(readMdc(' ---\nrule_id: fm\n---\n# T\n', 't.mdc').diagnostics)[0]).toContain('1:1 error mdc-front-matter: this `---` is not front matter');
    const body = '# T\n**Rule ID:** `x`\n## Prohibited\n- no drops `action.type == "db.drop"`\n';
    for (const opener of ['--- # config', '---yaml', '----']) {
      const read = readMdc(`${opener}\nconditions:\n  - type: rate_limit_check\n    parameters: {requests_per_minute: 1, burst_limit: 1}\n---\n${body}`, 't.mdc');
      expect(lines(read.diagnostics)[0]).toBe(`1:1 error mdc-front-matter: \`${opener}\` does not open front matter: only a line of exactly \`---\` does | write the first line as \`---\` alone`);
    }
    expect(lines(readMdc(`\n---\ndescription: db rules\n---\n${body}`, 't.mdc').diagnostics)[0]).toMatch(/^2:1 warning mdc-front-matter/);
    // A rule line after a blank line, over prose with a colon, is no front matter anyone meant.
    const prose = readMdc('\n---\n# T\n**Rule ID:** `t`\nNote: prose.\n## Prohibited\n- x `true`\n', 't.mdc');
    expect(prose.diagnostics.filter((d) => d.code === 'mdc-front-matter')).toEqual([]);
    // A Cursor header without rule_id (its `enabled: false` and globs would be dropped).
    const cursor = readMdc('\n---\ndescription: db rules\nglobs: src/**\nenabled: false\n---\n# T\n**Rule ID:** `t`\n## Prohibited\n- x `true`\n', 't.mdc');
    expect(cursor.diagnostics.map((d) => d.code)).toContain('mdc-front-matter');
  });

  it('warns of an empty conditions block', () => {
    const r = readMdc('# T\n**Rule ID:** `k`\n## Required\n- tls `context.tls == true`\n\n```yaml conditions\n```\n', 't.mdc');
    expect(lines(r.diagnostics)).toEqual(['6:1 warning mdc-empty-conditions: this ```yaml conditions block holds no conditions | list conditions in it, or remove the block']);
  });

  it('refuses a conditions block of several YAML documents (the later ones would be dropped)', () => {
    const text = '# T\n**Rule ID:** `k`\n\n```yaml conditions\n- type: file_access_control\n  parameters: {allowed_paths: ["/w/**"]}\n---\n- type: encryption_required\n  parameters: {algorithms: [AES-256-GCM]}\n```\n';
    const r = readMdc(text, 't.mdc');
    expect(lines(r.diagnostics)).toEqual([
      '8:1 error invalid-type: a ```yaml conditions block holds one YAML document; the conditions after its `---` would not be read | put every condition in the one list, without `---` lines',
    ]);
  });

  it('refuses a line that reads as the other section but is not a heading: its bullets would be inverted', () => {
    // `##Prohibited` is a paragraph in CommonMark: the bullets after it stay under Required.
    for (const look of ['##Prohibited', '**Prohibited:**', 'Prohibited', '_Prohibited_']) {
      const r = readMdc(`# T\n## Required\n- tls \`context.tls == true\`\n\n${look}\n- no drops \`action.type == "db.drop"\`\n`, 't.mdc');
      expect(lines(r.diagnostics), look).toEqual([
        `5:1 error mdc-section-heading: \`${look}\` is not a heading, so the bullets under it stay in \`## Required\` and would be enforced with the opposite sense | write the heading \`## Prohibited\` on a line of its own (a space after the \`#\`s) to open that section`,
      ]);
    }
    // Outside a clause section the bullets are description: a warning, as for a near heading.
    expect(lines(readMdc('# T\n**Required:**\n- tls `context.tls == true`\n', 't.mdc').diagnostics)).toEqual([
      '2:1 warning mdc-section-heading: `**Required:**` is not a heading, so the bullets under it are description and never enforced | write the heading `## Required` on a line of its own (a space after the `#`s) to open that section',
    ]);
    // The section's own title as a bold label, and prose that merely starts with the word, pass.
    for (const fine of ['**Required:**', 'Required for every deploy:']) {
      expect(readMdc(`# T\n## Required\n${fine}\n- tls \`context.tls == true\`\n`, 't.mdc').diagnostics, fine).toEqual([]);
    }
  });

  it('catches the look-alike in its other forms, a label item over nested bullets among them', () => {
    const under = (look: string): string[] => readMdc(`# T\n## Required\n- tls \`context.tls == true\`\n\n${look}\n  - no drops \`action.type == "db.drop"\`\n`, 't.mdc')
      .diagnostics.filter((d) => d.code === 'mdc-section-heading').map((d) => d.severity);
    // The word itself: refused. A longer label or a near word: said (it may mean what it reads).
    for (const look of ['- **Prohibited:**', 'Prohibited.', 'Prohibited -', '#Prohibited#', '\\#\\#Prohibited', 'Prohibited\u200b', '<b>Prohibited:</b>', '**Prohibited:**' + ' '.repeat(200)]) {
      expect(under(look), look).toEqual(['error']);
    }
    // Spelled with entities, as it renders (a review: these passed lint, their bullets inverted).
    for (const look of ['**&#80;rohibited:**', '**Prohi&shy;bited:**', 'Prohi&#173;bited:', '**Prohibited&#58;**', '##Prohi&shy;bited', '&#x50;rohibited',
      // What renders as nothing but is no format character, and a label written as a link.
      '**Prohi\u034fbited:**', 'Prohibited\ufe0f', 'Prohi&#847;bited:', '**[Prohibited](#prohibited):**']) {
      expect(under(look), look).toEqual(['error']);
    }
    // Decoded once, as Markdown does: `&amp;shy;` shows the text `&shy;`, no look-alike; an
    // image shows a picture, not its alt text (a review: a badge refused the rule).
    expect(under('**Prohi&amp;shy;bited:**')).toEqual([]);
    expect(under('![Prohibited](https://img.shields.io/badge/x.svg)')).toEqual([]);
    // … but `![x]` alone, a reference image and an escaped `!` show their text.
    for (const look of ['![Prohibited]', '**![Prohibited]:**', '![Prohibited][1]', '\\![Prohibited](#p)']) expect(under(look), look).toEqual(['error']);
    for (const look of ['**Prohibited actions:**', 'Prohibited actions:', '**Prohibited** actions', '**Prohibitted:**']) {
      expect(under(look), look).toEqual(['warning']);
    }
    // A review's valid rule: `Retired systems:` under Prohibited names what is prohibited.
    const retired = readMdc('# X\n**Rule ID:** `r`\n\n## Prohibited\n\nRetired systems:\n- Writes to the legacy database `action.target == "legacy-db"`\n', 't.mdc');
    expect(retired.diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(['warning mdc-section-heading']);
    // Right after a bullet, at the margin, without a blank line: a label to anyone reading.
    const glued = readMdc('# T\n## Prohibited\n- Drop `action.type == "db.drop"`\n**Required:**\n- TLS `context.tls == true`\n', 't.mdc');
    expect(glued.diagnostics.map((d) => d.code)).toEqual(['mdc-section-heading']);
  });

  it('leaves a label over bullets that would not be enforced alone (links, notes)', () => {
    for (const label of ['Required reading:', 'Retired:', 'Requires approval:']) {
      const r = readMdc(`# T\n## Prohibited\n- Drop \`action.type == "db.drop"\`\n\n${label}\n- [the runbook](https://example.com/runbook)\n- ask the on-call\n`, 't.mdc');
      expect(r.diagnostics.filter((d) => d.code === 'mdc-section-heading'), label).toEqual([]);
    }
  });

  it('stays linear on many labels over long lists', () => {
    const text = (n: number) => '# T\n## Prohibited\n' + Array.from({ length: n }, () => 'Required\n- a').join('\n') + '\n' + '- Required\n' + '  - b\n'.repeat(n);
    // Linear: about 4× for 4× the labels; a scan of the list per label would be 16×.
    expect(growthOver4x((n) => readMdc(text(n), 't.mdc'), 5_000)).toBeLessThan(9);
  });

  it('leaves prose alone: a wrapped line, a paragraph\'s later line, a longer sentence, no bullets after, HTML', () => {
    const texts = [
      '# B\n## Prohibited\n- Restoring over production without the sign-off that is always\n  required\n- x `action.type == "x"`\n',
      '# B\n## Prohibited\n- x `action.type == "x"`\n\nThe following is not\nrequired\n- y `action.type == "y"`\n',
      '# B\n## Prohibited\n- x `action.type == "x"`\n\nRequired reading for every operator:\n- y `action.type == "y"`\n',
      '# B\n## Prohibited\n- x `action.type == "x"`\n\nRequired\n\nMore prose.\n',
      '# B\n## Prohibited\n- x `action.type == "x"`\n\n<div>\nRequired\n</div>\n\n- y `action.type == "y"`\n',
      '# B\n## Prohibited\n- Required `tls`\n  - a note under the clause\n',
    ];
    for (const text of texts) expect(readMdc(text, 't.mdc').diagnostics.filter((d) => d.code === 'mdc-section-heading'), text).toEqual([]);
  });

  it('reads setext headings: Prohibited/Required over `-` open a section, a title over `=` names the rule', () => {
    const text = 'Title\n=====\n**Rule ID:** `t`\n---\n\nProhibited\n----------\n- No drops `action.type == "db.drop"`\n\nRequired\n--------\n- TLS `context.tls == true`\n';
    const r = readMdc(text, 't.mdc');
    expect(r.diagnostics).toEqual([]);
    expect(plain(entry(r.values[0], 'name'))).toBe('Title');
    expect(plain(entry(r.values[0], 'rule_id'))).toBe('t'); // a Rule ID line over `---` is still read
    expect(plain(entry(r.values[0], 'prohibited'))).toEqual([{ message: 'No drops', when: 'action.type == "db.drop"' }]);
    // Under `Required`, not under the Prohibited section before it (which would invert its sense).
    expect(plain(entry(r.values[0], 'required'))).toEqual([{ message: 'TLS', check: 'context.tls == true' }]);
    expect(lines(readMdc('# T\nRequired stuff\n---\n- a `x`\n', 't.mdc').diagnostics)).toEqual([
      '2:1 warning mdc-section-heading: heading `Required stuff` is not `## Required`, so the bullets under it are description and never enforced | to have them checked, write the heading exactly `## Required` (any case, level 2 or deeper)',
    ]);
  });

  it('refuses any other setext heading inside a clause section: neither reading is safe', () => {
    // As a heading it would end the section (the Truncate bullet unenforced); as text it would
    // keep `Requirements` bullets in Prohibited (their sense inverted).
    for (const [under, body] of [['Prohibited', 'Also forbidden:\n---'], ['Prohibited', 'Requirements\n------------'], ['Required', 'Prohibited\n=========='], ['Required', 'Forbidden\n---']]) {
      const text = `# T\n## ${under}\n- a \`action.type == "a"\`\n\n${body}\n- b \`action.type == "b"\`\n`;
      const ds = readMdc(text, 't.mdc').diagnostics;
      expect(ds.map((d) => `${d.span.line}:${d.span.col} ${d.severity} ${d.code}`), body).toEqual(['5:1 error mdc-setext-heading']);
    }
    expect(readMdc('# T\n## Prohibited\n- a `x`\n\nRequirements\n---\n', 't.mdc').diagnostics[0].message)
      .toBe('`Requirements` over a line of `-` is a heading in Markdown, inside the `Prohibited` section');
    // Indented up to 3 spaces, or the last line of a wrapped heading, it is a heading all the same.
    for (const body of [' Requirements\n ------------', 'Requirements for\n   every connection\n---']) {
      const codes = readMdc(`# T\n## Prohibited\n- a \`x\`\n\n${body}\n- b \`y\`\n`, 't.mdc').diagnostics.map((d) => d.code);
      expect(codes, body).toEqual(['mdc-setext-heading']);
    }
  });

  it('in a clause section, takes a clause title over `---` only in its plain form; anything else there is an error', () => {
    const plainForm = readMdc('# T\n## Required\n- TLS `context.tls == true`\n\nProhibited\n----------\n- No drops `action.type == "db.drop"`\n ## Required\n- Audit `context.audited == true`\n', 't.mdc');
    expect(plainForm.diagnostics).toEqual([]);
    expect(plain(entry(plainForm.values[0], 'prohibited'))).toEqual([{ message: 'No drops', when: 'action.type == "db.drop"' }]);
    expect(plain(entry(plainForm.values[0], 'required'))).toHaveLength(2); // an ATX heading may be indented (up to 3 spaces; from 2 here it would be in the item above)
    // Indented, the last line of a wrapped heading, or a clause title in (or lazily after) a
    // list item or quote: Markdown may read a heading there this reader cannot place; a wrong
    // guess would move or invert clauses, so it is refused.
    for (const body of [' Prohibited\n ----------', 'Everything here is\nRequired\n---', '- a `x`\n\n  Required\n---', '- a `x`\nand more\nRequired\n---', '> Note.\nRequired\n---']) {
      const codes = readMdc(`# T\n## Prohibited\n${body}\n- b \`action.type == "b"\`\n`, 't.mdc').diagnostics.map((d) => d.code);
      expect(codes, body).toContain('mdc-setext-heading');
    }
    // After a table row or a rule line the `---` is a rule line: no error, nothing moved. So it
    // is under other text in a list item or quote (a later paragraph, a wrapped or lazy line),
    // when the `---` is outside that container (CommonMark: an underline is never a lazy line).
    for (const body of [
      'Name | Why\n--- | ---\ndrop | bad\n---', '***\n---', '---\n---', '- a `x`\n\n---',
      '- a `x`\nsee the runbook.\n---', '- Must use TLS for all\n  connections `x`\n---', '> Note: this is\n> important\n---',
      '- press\n  <kbd>Ctrl</kbd> to copy\n---', '- use a pipe like a |\n---',
    ]) {
      const r = readMdc(`# T\n## Prohibited\n${body}\n- b \`action.type == "b"\`\n`, 't.mdc');
      expect(r.diagnostics.filter((d) => d.severity === 'error'), body).toEqual([]);
      expect(plain(entry(r.values[0], 'prohibited')), body).toContainEqual({ message: 'b', when: 'action.type == "b"' });
    }
  });

  it('ends a clause section at a `# …` heading after it, rather than taking it as the title', () => {
    const r = readMdc('## Required\n- Ticket `context.ticket != null`\n\n# Prohibited\n- No drops `action.type == "db.drop"`\n', 't.mdc');
    expect(plain(entry(r.values[0], 'required'))).toEqual([{ message: 'Ticket', check: 'context.ticket != null' }]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['mdc-section-heading']);
  });

  it('warns when the title reads `Prohibited` or `Required` (its bullets are description)', () => {
    for (const head of ['Prohibited\n==========', '# Prohibited']) {
      expect(readMdc(`${head}\n- No drops \`action.type == "db.drop"\`\n`, 't.mdc').diagnostics.map((d) => d.code), head).toEqual(['mdc-section-heading']);
    }
  });

  it('leaves clauses inside an HTML comment out, as a reader of the page never sees them', () => {
    const text = '# T\n## Prohibited\n<!--\n- old `action.type == "a"`\n-->\n- kept `action.type == "b"`\n<!-- - one-line `action.type == "c"` -->\n';
    expect(plain(entry(readMdc(text, 't.mdc').values[0], 'prohibited'))).toEqual([{ message: 'kept', when: 'action.type == "b"' }]);
    // `<!-->` and `<!--->` are whole comments (CommonMark, browsers): they hide nothing after them.
    for (const empty of ['<!-->', '<!--->']) {
      const after = readMdc(`# T\n## Required\n- TLS \`context.tls == true\`\n${empty}\n## Prohibited\n- No drops \`action.type == "db.drop"\`\n`, 't.mdc').values[0];
      expect(plain(entry(after, 'prohibited')), empty).toEqual([{ message: 'No drops', when: 'action.type == "db.drop"' }]);
    }
    expect(lines(readMdc('# T\n## Prohibited\n- a `x`\n<!-- note\n- b `y`\n', 't.mdc').diagnostics)).toEqual([
      '4:1 error mdc-comment: the HTML comment is not closed, so everything after it would be hidden | end it with `-->`',
    ]);
  });

  it('warns about a line with an expression in a clause section that is not a bullet', () => {
    const text = '# T\n## Prohibited\nNever drop tables `action.type == "db.drop"`\n> - quoted `action.type == "x"`\nplain prose\n- real `action.type == "y"`\n';
    const r = readMdc(text, 't.mdc');
    expect(r.diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`)).toEqual(['3 warning mdc-not-a-bullet', '4 warning mdc-not-a-bullet']);
    expect(r.diagnostics[0].message).toBe('this line of `## Prohibited` is not a bullet, so its expression is never enforced');
    expect(plain(entry(r.values[0], 'prohibited'))).toEqual([{ message: 'real', when: 'action.type == "y"' }]);
  });

  // Naming and holding conditions, such a block is an error since 11-27 (a review: a quoted
  // block loaded with a warning, and the rate limit in it never held); a plain ```yaml that
  // holds them (perhaps an example) or an empty near miss, a warning.
  it('refuses a fence that names conditions and holds some but is not a conditions block', () => {
    const cond = '- type: expression\n  parameters: {expr: "true"}\n';
    const text = `# T\n## Conditions\n\`\`\`yaml\n${cond}\`\`\`\n\`\`\`yaml condition\n${cond}\`\`\`\n\`\`\`yaml\nother: data\n\`\`\`\n\`\`\`yaml conditions\n${cond}\`\`\`\n`;
    const r = readMdc(text, 't.mdc');
    expect(r.diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`)).toEqual(['3 warning mdc-conditions-fence', '7 error mdc-conditions-fence']);
    const quoted = readMdc('# T\n## Prohibited\n- no drops `action.type == "db.drop"`\n\n> ```yaml conditions\n> - type: rate_limit_check\n>   parameters: {requests_per_minute: 1, burst_limit: 1}\n> ```\n', 't.mdc');
    expect(quoted.diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`)).toEqual(['5 error mdc-conditions-fence']);
    expect(readMdc('# T\n## Required\n- tls `context.tls == true`\n\n```yaml condition\n```\n', 't.mdc').diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(r.diagnostics[0].message).toBe('a block opened with `\`\`\`yaml` is not a ```yaml conditions block, so the conditions in it are description and never enforced');
    expect(plain(entry(r.values[0], 'conditions'))).toEqual([{ type: 'expression', parameters: { expr: 'true' } }]);
    // Any other info string that names conditions, or any block that holds them (a review found
    // these silent: the conditions never enforced, lint quiet).
    for (const info of ['yaml conditions:', 'yaml conditions extra', 'yaml {conditions}', 'yaml:conditions', 'yaml,conditions', 'json conditions', 'yaml title="conditions"', '', 'yml', 'text']) {
      const near = readMdc(`# T\n## Required\n- tls \`context.tls == true\`\n\n\`\`\`${info}\n${cond}\`\`\`\n`, 't.mdc');
      expect(near.diagnostics.map((d) => `${d.span.line} ${d.code}`), info).toEqual(['5 mdc-conditions-fence']);
    }
    const json = readMdc('# T\n## Required\n- tls `context.tls == true`\n\n```json\n[{"type": "expression", "parameters": {"expr": "false"}}]\n```\n', 't.mdc');
    expect(json.diagnostics.map((d) => d.code)).toEqual(['mdc-conditions-fence']);
    // A block that only shows a request, or data, or whose info merely contains the letters, is left alone.
    for (const block of ['```json\n{"action": {"type": "db.read"}}\n```', '```json\n{"action": {"type": "expression"}}\n```', '```yaml\naction:\n  type: rate_limit_check\n```',
      '```python title="conditional.py"\nx = 1\n```', '```text preconditions\nnone\n```']) {
      expect(readMdc(`# T\n## Required\n- tls \`context.tls == true\`\n\n${block}\n`, 't.mdc').diagnostics, block).toEqual([]);
    }
  });

  it('refuses a conditions block inside an HTML block (right under `<details>`): Markdown shows it as HTML', () => {
    const block = '```yaml conditions\n- type: rate_limit_check\n  parameters: {requests_per_minute: 1, burst_limit: 1}\n```\n</details>\n';
    const r = readMdc(`# T\n<details>\n${block}\n## Prohibited\n- no drops \`action.type == "db.drop"\`\n`, 't.mdc');
    expect(r.diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`)).toEqual(['3 error mdc-conditions-fence']);
    expect(r.diagnostics[0].help).toContain('blank line before the conditions block');
    // After a blank line the block is Markdown again, and its conditions are read.
    const apart = readMdc(`# T\n<details>\n\n${block}`, 't.mdc');
    expect(apart.diagnostics).toEqual([]);
    expect(plain(entry(apart.values[0], 'conditions'))).toEqual([{ type: 'rate_limit_check', parameters: { requests_per_minute: 1, burst_limit: 1 } }]);
  });

  it('reads a fence inside `<details>` at any indent as HTML, and an item ending closes the HTML block in it (a review)', () => {
    const cond = '- type: expression\n  parameters: { expr: "true" }\n';
    const indented = (pad: string) => `# T\n<details>\n${pad}<summary>why</summary>\n${pad}\`\`\`yaml conditions\n${cond.replace(/^(?=.)/gm, pad)}${pad}\`\`\`\n</details>\n`;
    for (const pad of ['    ', '\t']) {
      expect(readMdc(indented(pad), 't.mdc').diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`), JSON.stringify(pad)).toEqual(['4 error mdc-conditions-fence']);
    }
    // Plain yaml holding conditions, or a block named so holding none: a warning, as outside HTML.
    expect(readMdc(`# T\n<details>\n\`\`\`yaml\n${cond}\`\`\`\n</details>\n`, 't.mdc').diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(readMdc('# T\n<details>\n```json condition-example\n{"action": {"type": "x"}}\n```\n</details>\n', 't.mdc').diagnostics.map((d) => d.severity)).toEqual(['warning']);
    // Outside HTML, 4 columns in is an indented code block: not read either.
    expect(readMdc(`# T\n\n    \`\`\`yaml conditions\n${cond.replace(/^(?=.)/gm, '    ')}    \`\`\`\n`, 't.mdc').diagnostics.map((d) => `${d.span.line} ${d.severity} ${d.code}`)).toEqual(['3 error mdc-conditions-fence']);
    // In `<pre>` it is an example, shown as written.
    expect(readMdc(`# T\n<pre>\n\`\`\`yaml conditions\n${cond}\`\`\`\n</pre>\n`, 't.mdc').diagnostics).toEqual([]);
    // An HTML block in a list item ends with the item: the fence at the margin is a real conditions block.
    const r = readMdc(`# T\n- See the runbook\n  <details><summary>why</summary>Bursts.</details>\n\`\`\`yaml conditions\n${cond}\`\`\`\n`, 't.mdc');
    expect(r.diagnostics).toEqual([]);
    expect(plain(entry(r.values[0], 'conditions'))).toEqual([{ type: 'expression', parameters: { expr: 'true' } }]);
  });

  it('adds Markdown clauses to clause lists of the front matter', () => {
    const text = '---\nprohibited: [{when: "a"}]\n---\n## Prohibited\n- b `c`\n';
    expect(plain(entry(readMdc(text, 't.mdc').values[0], 'prohibited'))).toEqual([{ when: 'a' }, { message: 'b', when: 'c' }]);
  });

  it('takes the Markdown clauses when the front matter names the list but leaves it empty', () => {
    const text = '---\nprohibited:\nrequired: ~\n---\n## Prohibited\n- b `c`\n## Required\n- d `e`\n';
    const value = readMdc(text, 't.mdc').values[0];
    expect(plain(entry(value, 'prohibited'))).toEqual([{ message: 'b', when: 'c' }]);
    expect(plain(entry(value, 'required'))).toEqual([{ message: 'd', check: 'e' }]);
  });

  it('joins wrapped bullet lines and finds the expression on the last one', () => {
    const text = '## Required\n- Long message\n  continues — `a == 1`\n';
    const r = readMdc(text, 't.mdc');
    const item = (entry(r.values[0], 'required') as { items: RawValue[] }).items[0];
    expect(plain(item)).toEqual({ message: 'Long message continues', check: 'a == 1' });
    expect(entry(item, 'check').span).toMatchObject({ line: 3, col: 16 });
  });
});

// Markdown constructs a CommonMark renderer reads differently from a plain line reader; each
// case here was a silent fail-open (or an inverted sense) found by comparing with markdown-it.
describe('readMdc: what Markdown shows is what is enforced (or refused)', () => {
  const clauses = (text: string) => {
    const v = readMdc(text, 't.mdc').values[0];
    const get = (k: string) => (v.kind === 'map' && v.entries.some((e) => e.key === k) ? plain(entry(v, k)) : []);
    return { prohibited: get('prohibited'), required: get('required') };
  };
  const errors = (text: string) => readMdc(text, 't.mdc').diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.span.line} ${d.code}`);

  it('ends lines at a lone CR, as Markdown does', () => {
    expect(clauses('## Prohibited\n- No a `a`\r- No b `b`\n').prohibited).toEqual([{ message: 'No a', when: 'a' }, { message: 'No b', when: 'b' }]);
  });

  it('reads fences as CommonMark does: a backtick in the info, or indented past the item, is no fence', () => {
    // ```rm -rf /``` is a code span in the bullet's text, not a fence hiding the rest of the file.
    expect(clauses('## Prohibited\n- No shell such as\n  ```rm -rf /``` `a`\n- No b `b`\n## Required\n- c `c`\n')).toEqual({
      prohibited: [{ message: 'No shell such as ```rm -rf /```', when: 'a' }, { message: 'No b', when: 'b' }], required: [{ message: 'c', check: 'c' }],
    });
    expect(clauses('## Prohibited\n- No a, see\n      ```\n- No b `b`\n').prohibited).toEqual([{ message: 'No b', when: 'b' }]);
    expect(clauses('## Prohibited\n\n    ```\n- No a `a`\n').prohibited).toEqual([{ message: 'No a', when: 'a' }]);
    // A fence opened in an item ends with the item (a line indented less).
    expect(clauses('## Prohibited\n- No a `a`\n  ```\n  x\n- No b `b`\n  ```\n').prohibited).toEqual([{ message: 'No a', when: 'a' }, { message: 'No b', when: 'b' }]);
  });

  it('reads what a second review found misread: closers indented past their container, code in nested quotes, lone tags', () => {
    // A 4-space ``` inside a fence is its content, not its closer.
    expect(clauses('```markdown\n1. Install\n    ```sh\n    npm i\n    ```\n```\n\n## Prohibited\n- p1 `p1`\n').prohibited).toEqual([{ message: 'p1', when: 'p1' }]);
    // Code in a quote with items, in an item in a quote, in a quote in an item; indented code in a quote.
    for (const code of ['> - a\n>   - b\n>     ```md\n>     ## Prohibited\n>     ```', '> - ```md\n>   ## Prohibited\n>   ```', '- > ```md\n  > ## Prohibited\n  > ```', '> Example:\n>\n>     ## Prohibited\n>     - p `x == 1`']) {
      expect(errors(`${code}\n\n## Required\n- r \`r\`\n`), code).toEqual([]);
    }
    // A lone tag opens an HTML block after a heading too; `<your name here!>` is no tag.
    expect(errors('## Prohibited\n<img src="warn.png">\n## Required\n\n- p1 `p1`\n')).toEqual(['3 mdc-html-heading']);
    expect(clauses('## Prohibited\n- p1 `p1`\n\n<your name here!>\n## Notes\n- p2 `p2`\n').prohibited).toEqual([{ message: 'p1', when: 'p1' }]);
    // A subsection's clause-like bullet is warned about with trailing spaces, or wrapped.
    for (const bullet of ['- p1 `action.type == "p1"`  ', '- Never drop the production\n  tables `action.type == "p1"`']) {
      expect(readMdc(`## Prohibited\n- p0 \`p0\`\n\n### Database\n${bullet}\n`, 't.mdc').diagnostics.map((d) => d.code), bullet).toEqual(['mdc-subsection']);
    }
  });

  it('warns once of a section under another name whose bullet reads as a clause (`## Never allowed`), not of description', () => {
    // A review (11-29): such a deny enforced nothing, and `lint --strict` said "no problems".
    const codes = (body: string) => readMdc(`## Required\n- r \`r\`\n\n${body}`, 't.mdc').diagnostics.map((d) => `${d.span?.line} ${d.code}`);
    expect(codes('## Never allowed\n- drop `action.type == "db.drop"`\n- rm `action.cmd == "rm"`\n')).toEqual(['5 mdc-unenforced-section']);
    const d = readMdc('## Never allowed\n- drop `action.type == "db.drop"`\n', 't.mdc').diagnostics[0];
    expect(d.message).toBe('`## Never allowed` is description (only `## Prohibited` and `## Required` hold clauses, SPEC §3.3), so `action.type == "db.drop"` under it is never enforced');
    // Description as meant: shell text, a field named alone, a value, prose.
    expect(codes('## Notes\n- run `npm test` first\n- the field `action.table` names the table\n- costs `action.cost * 1.2`\n- be careful\n')).toEqual([]);
    // Under a clause section's own subsection the warning is `mdc-subsection`, as before.
    expect(codes('### Never allowed\n- drop `action.type == "db.drop"`\n')).toEqual(['5 mdc-subsection']);
  });

  it('reads Cursor\'s unquoted `globs: *.ts,*.tsx` front matter as the string it is', () => {
    const v = readMdc('---\nglobs: *.tsx,*.ts\nrule_id: g\n---\n## Prohibited\n- p `x`\n', 't.mdc');
    expect(v.diagnostics).toEqual([]);
    expect(plain(entry(v.values[0], 'globs'))).toBe('*.tsx,*.ts');
    // A real alias (its anchor is defined) stays an alias, refused as before, not a narrower glob.
    const alias = readMdc('---\nrule_id: g\ndescription: &scope "src/**"\nglobs: *scope\n---\n## Prohibited\n- p `x`\n', 't.mdc');
    expect(alias.diagnostics.some((d) => d.severity === 'error' && /alias/.test(d.message))).toBe(true);
    // `globs: *` beside an `&` in another field is still Cursor's glob.
    expect(readMdc('---\nrule_id: g\ndescription: Lint & format\nglobs: *\n---\n## Prohibited\n- p `x`\n', 't.mdc').diagnostics).toEqual([]);
  });

  it('takes no line after a fence, rule line or heading of an item or quote as lazy (a `---` under it may be a heading)', () => {
    for (const before of ['- example:\n  ```\n  code\n  ```', '- a\n  ***', '> ```\n> x\n> ```', '> ## Notes', '- > ### Note', '- - ### Note', '- example:\n\n      rm -rf /tmp/x', '>     code']) {
      const text = `## Required\n- r1 \`r1\`\n${before}\nProhibited\n----------\n- p1 \`p1\`\n`;
      // Never p1 loaded as Required: Markdown reads a Prohibited heading there, which this
      // reader refuses (until the fix, a lazy reading took the `---` for a rule line, silently).
      const asRequired = (clauses(text).required as unknown[]).some((c) => JSON.stringify(c) === JSON.stringify({ message: 'p1', check: 'p1' }));
      expect(errors(text).length > 0 || !asRequired, before).toBe(true);
    }
  });

  it('refuses a fence never closed: everything after it would be code, not rules', () => {
    expect(errors('## Prohibited\n- No a `a`\n```sh\n- No b `b`\n')).toEqual(['3 mdc-fence']);
    // The marker bare in the help: in backticks it read as five.
    expect(readMdc('## Prohibited\n- No a `a`\n~~~~\n', 't.mdc').diagnostics.find((d) => d.code === 'mdc-fence')?.help).toBe('end it with a line ~~~~');
  });

  it('refuses a clause heading inside a quote, a list item or an HTML block (its sense would flip)', () => {
    expect(errors('## Required\n- r `r`\n\n> **Note**\n> ## Prohibited\n\n- No a `a`\n')).toEqual(['5 mdc-nested-heading']);
    expect(errors('## Required\n- r `r`\n\n- ## Prohibited\n  - No a `a`\n')).toEqual(['4 mdc-nested-heading']);
    expect(errors('## Required\n- r `r`\n- Prohibited\n  ---\n  - No a `a`\n')).toEqual(['3 mdc-nested-heading']);
    // Indented into the item above, a blank line between or not (a review, 11-27: read as a
    // section, it turned the bullets after it into prohibitions).
    expect(errors('## Required\n- a `a`\n  ## Prohibited\n- b `b`\n')).toEqual(['3 mdc-nested-heading']);
    expect(errors('## Required\n- a `a`\n\n   ## Prohibited\n- b `b`\n')).toEqual(['4 mdc-nested-heading']);
    expect(errors('## Required\n- a `a`\n\n## Prohibited\n- b `b`\n')).toEqual([]);
    // After a lazy line the item is still open; a tab after the marker puts its text at column 4.
    expect(errors('## Required\n- a `a`\nlazy words\n  ## Prohibited\n- b `b`\n')).toEqual(['4 mdc-nested-heading']);
    expect(errors('## Required\n-\ta `a`\n  ## Prohibited\n- b `b`\n')).toEqual([]);
    expect(errors('## Prohibited\n- p `p`\n\n<div>\n## Required\n</div>\n\n- No b `b`\n')).toEqual(['5 mdc-html-heading']);
    // Outside those, the same text is fine: a bullet named Prohibited over a rule line is no heading.
    expect(errors('## Prohibited\n- p `p`\n\n<div>note</div>\n\n## Required\n- r `r`\n')).toEqual([]);
  });

  it('reads a clause heading as it renders: markup, links and entities around the title', () => {
    for (const heading of ['## <b>Prohibited</b>', '## [Prohibited](#p)', '## &#80;rohibited', '## **Prohibited**', '## Prohibit&#x65;d']) {
      expect(clauses(`${heading}\n- No a \`a\`\n`).prohibited, heading).toEqual([{ message: 'No a', when: 'a' }]);
    }
    // Marks inside the word are the word's: not a clause title.
    expect(clauses('## Re_quired\n- No a `a`\n')).toEqual({ prohibited: [], required: [] });
  });

  it('ends a clause section at a deeper heading too (its bullets are often examples), warning when they read as clauses', () => {
    const text = '## Required\n- r `r`\n### Examples\n- Bad: `rm -rf /`\n- Bad: `git push --force`\n## Notes\n- run `npm test`\n';
    expect(clauses(text)).toEqual({ prohibited: [], required: [{ message: 'r', check: 'r' }] });
    expect(lines(readMdc(text, 't.mdc').diagnostics)).toEqual([
      '4:1 warning mdc-subsection: heading `### Examples` ends the `## Required` section, so the bullets under it are description and never enforced | to have them checked, put them under `## Required` itself (a bold line, not a heading, can group them)',
    ]);
    // A near miss is warned about as such (once), not as a subsection.
    expect(readMdc('## Required\n- r `r`\n### Prohibited actions\n- p `p`\n', 't.mdc').diagnostics.map((d) => d.code)).toEqual(['mdc-section-heading']);
  });

  it('reads what a review found misread: fences in items across blank lines, in quotes, opening an item; HTML blocks to their blank line', () => {
    // A fence indented into its item after a blank line is the item's code, closed where it closes.
    const inItem = '## Prohibited\n- Never edit CI config, e.g.:\n\n    ```yaml\n    steps:\n      - run: deploy\n    ```\n\n    - p1 `p1`\n';
    expect(clauses(inItem).prohibited).toEqual([{ message: 'p1', when: 'p1' }]);
    expect(errors('## Prohibited\n- Do not write:\n\n    ```markdown\n    - drop it `DROP TABLE users`\n    ```\n- p `p`\n')).toEqual([]);
    // A top-level fence indented 2 keeps less-indented content; it closes at its own fence.
    expect(errors('## Notes\nExample:\n  ```python\ndef f():\n  ```\n## Prohibited\n- p `p`\n')).toEqual([]);
    // Code in a quote or opening a list item is code, whatever it shows.
    expect(errors('> ```markdown\n> ## Prohibited\n> ```\n\n## Required\n- r `r`\n')).toEqual([]);
    expect(clauses('## Required\n- ```markdown\n  ## Prohibited\n  ```\n- r2 `r2`\n')).toEqual({ prohibited: [], required: [{ message: 'r2', check: 'r2' }] });
    // An HTML block ends at its blank line, even after a fence or a comment in it; a fence in it is HTML.
    for (const html of ['<details>\n```bash\nnpm i\n```', '<div align="center">\n```\n ASCII LOGO\n```', '<div align="center">\n<!-- banner\n-->']) {
      expect(errors(`${html}\n\n## Required\n- r \`r\`\n`), html).toEqual([]);
    }
    expect(clauses('## Prohibited\n<div>\n```\n</div>\n- p1 `p1`\n<div>\n```\n</div>\n').prohibited).toEqual([{ message: 'p1', when: 'p1' }]);
    expect(errors('## Prohibited\n- p `p`\n\n<h2>Required</h2>\n\n- b `b`\n')).toEqual(['4 mdc-html-heading']);
    // `<?`…`?>`, `<!X`…`>` and CDATA run to their marker, blank lines and all (a fourth review).
    for (const [open, close] of [['<?php\nx', '?>'], ['<!DOCTYPE x', '>'], ['<![CDATA[\nx', ']]>']]) {
      expect(errors(`## Required\n- r1 \`r1\`\n\n${open}\n\nProhibited\n---\n${close}\n- r2 \`r2\`\n`), open).toEqual([`${open.includes('\n') ? 7 : 6} mdc-html-heading`]);
      expect(clauses(`## Required\n- r1 \`r1\`\n\n${open}\n\n## Notes\n${close}\n- r2 \`r2\`\n`).required, open).toEqual([{ message: 'r1', check: 'r1' }, { message: 'r2', check: 'r2' }]);
    }
    // Any lone tag after a blank line opens one too (CommonMark type 7); a tab indents 4 columns.
    expect(errors('## Prohibited\n- p `p`\n\n<my-note>\n## Required\n</my-note>\n\n- b `b`\n')).toEqual(['5 mdc-html-heading']);
    expect(clauses('## Prohibited\n\n\t```\n\n- p1 `p1`\n\n```\nx\n```\n').prohibited).toEqual([{ message: 'p1', when: 'p1' }]);
  });
});

describe('hostile lines', () => {
  it('stays linear on long runs of spaces, backticks and punctuation', () => {
    const n = 50_000;
    const text = [
      '# a' + ' '.repeat(n) + 'x',
      '## Prohibited',
      '- a' + ' '.repeat(n) + 'x',
      '- a' + ' :'.repeat(n) + 'x `y`',
      '- ' + '`'.repeat(n) + ' '.repeat(n) + 'x',
      '```' + ' '.repeat(n) + 'x',
      '`'.repeat(n) + ' '.repeat(n) + 'x',
      '```',
      '## Notes',
      '#'.repeat(n) + ' '.repeat(n),
      '## ' + '<!--'.repeat(n) + ' x',
      '## ' + '<a'.repeat(n) + ' [x'.repeat(n) + ' &#1'.repeat(n),
      '> '.repeat(n) + '## Prohibited',
      '- '.repeat(n) + 'Required',
      '  ---',
      '<div' + ' x'.repeat(n),
    ].join('\n');
    const t0 = performance.now();
    const r = readMdc(text, 'big.mdc');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.values).toHaveLength(1);
  });

  it('stays linear on a bare Rule ID line ending in spaces, and on many `globs:` lines', () => {
    // A review (11-28): a lazy id before `\s*$` took 2 s on 60 000 spaces (here it would take
    // ~20 s), and each `globs:` line searched every front matter line for its anchor (0.7 s at
    // 6 000 lines). The bound only catches a return of the square; both run in milliseconds.
    const spaces = ' '.repeat(200_000);
    let t0 = performance.now();
    readMdc(`# T\n\n**Rule ID:** my${spaces}rule\n\n## Prohibited\n- p \`p\`\n`, 'bare.mdc');
    expect(performance.now() - t0).toBeLessThan(2000);
    const bare = readMdc(`# T\n\n**Rule ID:** my-rule   \n\n## Prohibited\n- p \`p\`\n`, 'bare.mdc');
    const found = bare.diagnostics.find((d) => d.code === 'rule-id-line');
    expect(found?.span).toMatchObject({ line: 3, col: 14, endLine: 3, endCol: 21 }); // the id itself, not its trailing spaces
    expect(found?.help).toBe('write the id as a code span: **Rule ID:** `my-rule`');
    // And an indented fence line of spaces ending in a backtick (1.3 s at 60 000, a review 11-28).
    t0 = performance.now();
    readMdc(`# T\n\n    ~~~${spaces}\`\n`, 'fence.mdc');
    expect(performance.now() - t0).toBeLessThan(2000);
    const front = `---\nrule_id: g\n${'globs: *a\n'.repeat(20_000)}---\n# T\n\n## Prohibited\n- p \`p\`\n`;
    t0 = performance.now();
    readMdc(front, 'globs.mdc');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('reads U+2028 and U+2029 inside a line as ordinary characters: the bullet stays a clause', () => {
    // A review (11-28): `.` stops at them, so this bullet was not a bullet, its clause dropped
    // (a PUT answered 201 with a wrong `mdc-not-a-bullet` warning).
    for (const sep of ['\u2028', '\u2029']) {
      const r = readMdc(`# T\n\n## Prohibited\n- first \`action.type == "a"\`\n- second${sep}bad \`action.type == "b"\`\n`, 'sep.mdc');
      expect(r.diagnostics.map((d) => d.code)).toEqual([]);
      expect((plain(r.values[0]) as { prohibited: unknown[] }).prohibited).toHaveLength(2);
    }
  });
});

describe('trailingCodeSpan', () => {
  it.each([
    ['msg `a`', { start: 4, contentStart: 5, content: 'a' }],
    ['msg ``a `b` c``', { start: 4, contentStart: 6, content: 'a `b` c' }],
    ['msg `` `x` ``', { start: 4, contentStart: 7, content: '`x`' }],
    ['msg', undefined],
    ['`a` msg', undefined],
    ['msg ``', undefined],
    ['msg ` `', undefined],
    ['msg `a``', undefined],
    // A review (11-27): an escaped backtick opens no span (read from the end, the first of
    // these was enforced as a clause whose message ended in a stray backslash).
    ['Quote it as \\`a == 1`', undefined],
    ['Never write a \\` character `a == 1`', { start: 27, contentStart: 28, content: 'a == 1' }],
    ['msg `a\\`', { start: 4, contentStart: 5, content: 'a\\' }], // no escapes inside a span
    ['`x` then `` y ``', { start: 9, contentStart: 12, content: 'y' }],
    ['a ``` b ` c', undefined],
    // The review of that scan: its memo of where runs start went backwards, and the last
    // span here was read as text (commonmark.js reads it as the trailing span).
    ['a `` b `c` `expr`', { start: 11, contentStart: 12, content: 'expr' }],
    ['The ``` marker opens a fence, `x` is a name; never drop tables: `a == 1`', { start: 64, contentStart: 65, content: 'a == 1' }],
  ])('%j', (s, expected) => {
    expect(trailingCodeSpan(s)).toEqual(expected);
  });
});

describe('readBullet', () => {
  it('uses the expression as the message of a bullet that is only code', () => {
    const b = readBullet({ parts: [{ text: '`a == 1`', line: 4, col: 3 }] }, 'f.md');
    expect(b).toMatchObject({ kind: 'checkable', message: 'a == 1', expr: 'a == 1', exprSpan: { line: 4, col: 4 } });
  });

  it('trims joining punctuation from the message', () => {
    const b = readBullet({ parts: [{ text: 'No writes —  `x`', line: 1, col: 3 }] }, 'f.md');
    expect(b).toMatchObject({ kind: 'checkable', message: 'No writes' });
  });

  it('trims the one mark that joins the message to its expression, and no more', () => {
    const message = (text: string) => (readBullet({ parts: [{ text, line: 1, col: 3 }] }, 'f.md') as { message: string }).message;
    expect(['Raw SQL: `x`', 'Careful, `x`', 'Stop; `x`', 'No writes—`x`', 'No writes -- `x`', 'No writes – `x`'].map(message))
      .toEqual(['Raw SQL', 'Careful', 'Stop', 'No writes', 'No writes', 'No writes']);
    // Until 11-27 every trailing mark went: `&lt;` lost its `;`, `re-` its hyphen, `…::` both colons.
    expect(['Never use &lt; `x`', 'Use &#60; `x`', 'Retry, then re- `x`', 'Scope:: `x`', 'Ends with ;, `x`'].map(message))
      .toEqual(['Never use &lt;', 'Use &#60;', 'Retry, then re-', 'Scope:', 'Ends with ;']);
  });
});

describe('readMdc: what follows a bullet\'s expression', () => {
  it('an HTML comment after it is not rendered: the clause is enforced (it was advisory until 11-27)', async () => {
    const text = '---\nrule_id: hc\n---\n## Prohibited\n- Never drop tables `action.type == "db.drop"` <!-- JIRA-123 -->\n- Never alter `action.type == "db.alter"`<!-- a --> <!-- b -->\n';
    const r = parseRuleText(text, 'mdc', 'hc.mdc');
    expect(r.diagnostics).toEqual([]);
    expect(r.rules[0].prohibited.map((c) => c.message)).toEqual(['Never drop tables', 'Never alter']);
    const engine = await createEngine({ rules: [{ path: 'hc.mdc', text }] });
    expect((await engine.evaluate({ action: 'db.drop' })).approved).toBe(false);
  });

  it('a `.` after it keeps the clause advisory, and the help says what to move', () => {
    const r = parseRuleText('---\nrule_id: dot\n---\n## Prohibited\n- No prod writes `context.environment == "production"`.\n- ok `true`\n', 'mdc', 'dot.mdc');
    expect(r.rules[0].advisory).toEqual(['No prod writes `context.environment == "production"`.']);
    expect(r.diagnostics.map((d) => d.help)).toEqual(['the bullet ends with `.` after its expression, so it reads as advice; end the bullet with the expression (drop the `.` or put it before the expression) to enforce it']);
  });
});

describe('readMdc: a code span wrapped onto the bullet\'s next line (CommonMark reads the break as a space)', () => {
  const WRAPPED = '---\nrule_id: no-drop\n---\n# No drop\n\n## Prohibited\n- Never drop tables in production `action.type == "db.drop" &&\n  context.environment == "production"`\n- No raw SQL `action.query_kind == "raw_sql"`\n';

  it('is the clause\'s expression, not an advisory clause', () => {
    const r = parseRuleText(WRAPPED, 'mdc', 'no-drop.mdc');
    expect(r.diagnostics).toEqual([]);
    expect(r.rules[0].prohibited.map((c) => c.message)).toEqual(['Never drop tables in production', 'No raw SQL']);
    expect(r.rules[0].advisory).toEqual([]);
  });

  it('is enforced: the action it names is denied', async () => {
    const engine = await createEngine({ rules: [{ path: 'no-drop.mdc', text: WRAPPED }] });
    const d = await engine.evaluate({ action: { type: 'db.drop' }, context: { environment: 'production' } });
    expect(d.approved).toBe(false);
    expect(d.violations.map((v) => v.message)).toEqual(['Never drop tables in production']);
  });

  it('places an error in the wrapped part at its own line and column', () => {
    // End of input: at the closing backtick, as on one line.
    const r = parseRuleText('**Rule ID:** `t`\n## Prohibited\n- No a `action.a == 1 &&\n    action.b ==`\n- r `true`\n', 'mdc', 't.mdc');
    expect(r.diagnostics.map((d) => `${d.span.line}:${d.span.col}`)).toEqual(['4:16']);
    const s = parseRuleText('**Rule ID:** `t`\n## Prohibited\n- No a `action.a ==\n  )`\n', 'mdc', 't.mdc');
    expect(s.diagnostics.map((d) => `${d.span.line}:${d.span.col}`)).toEqual(['4:3']);
  });

  it('also when the wrapped part is at the margin (a lazy line), and only then', () => {
    const lazy = parseRuleText('**Rule ID:** `t`\n## Prohibited\n- Never drop tables `action.type == "db.drop" &&\ncontext.environment == "production"`\n- No raw sql `action.type == "sql.raw"`\n', 'mdc', 't.mdc');
    expect(lazy.diagnostics).toEqual([]);
    expect(lazy.rules[0].prohibited.map((c) => c.when.source)).toEqual(['action.type == "db.drop" && context.environment == "production"', 'action.type == "sql.raw"']);
    // Other text at the margin after a checkable bullet still ends it (never looser).
    const prose = parseRuleText('**Rule ID:** `t`\n## Prohibited\n- No drop `action.type == "db.drop"`\nSee the runbook.\n', 'mdc', 't.mdc');
    expect(prose.rules[0].prohibited.map((c) => c.message)).toEqual(['No drop']);
  });

  it('still starts at the last span: an earlier line\'s code is message', () => {
    const b = readBullet({ parts: [{ text: 'Use `a` and', line: 2, col: 3 }, { text: 'never `b ==', line: 3, col: 3 }, { text: '1`', line: 4, col: 3 }] }, 'f.md');
    expect(b).toMatchObject({ kind: 'checkable', message: 'Use `a` and never', expr: 'b == 1', exprSpan: { line: 3, col: 10, endLine: 4, endCol: 4 } });
  });
});
