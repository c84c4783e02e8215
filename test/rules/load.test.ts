import { describe, expect, it } from 'vitest';
import { hasErrors, loadRuleSources, parseRuleFile, parseRuleText } from '../../src/rules/load.js';
import { lines } from './helpers.js';

const rule = (id: string) => `rule_id: ${id}\nprohibited: [{when: "true"}]\n`;

describe('parseRuleFile', () => {
  it('reads one rule, a list, and {rules: [...]} in JSON', () => {
    const one = parseRuleFile({ path: 'a.json', text: '{"rule_id": "a", "required": [{"check": "1==1"}]}' });
    const list = parseRuleFile({ path: 'b.json', text: '[{"rule_id": "a", "required": [{"check": "1==1"}]}, {"rule_id": "b", "required": [{"check": "1==1"}]}]' });
    const wrapped = parseRuleFile({ path: 'c.json', text: '{"rules": [{"rule_id": "c", "required": [{"check": "1==1"}]}]}' });
    expect([one, list, wrapped].map((r) => [r.rules.map((x) => x.rule_id), r.diagnostics])).toEqual([
      [['a'], []], [['a', 'b'], []], [['c'], []],
    ]);
  });

  it('refuses a rule id given twice in one file, read alone or in a tree (reported once)', () => {
    const text = '[{"rule_id": "j10", "required": [{"check": "1==1"}]},\n {"rule_id": "j10", "required": [{"check": "1==1"}]}]';
    const alone = lines(parseRuleFile({ path: 'd.json', text }).diagnostics);
    expect(alone).toEqual(['2:14 error duplicate-rule-id: duplicate rule id `j10` | first defined at d.json:1:14; rule ids must be unique']);
    expect(lines(loadRuleSources([{ path: 'd.json', text }]).diagnostics)).toEqual(alone);
  });

  it('refuses a lone surrogate in any string of a rule, JSON or YAML, value or key', () => {
    const json = parseRuleFile({ path: 'a.json', text: '{"rule_id": "sur", "prohibited": [{"message": "bad \\ud800 msg", "when": "true"}]}' });
    expect(lines(json.diagnostics)).toEqual(['1:47 error lone-surrogate: a string holds a lone UTF-16 surrogate, which has no UTF-8 form | write the character itself, or a surrogate pair (`\\ud83d\\ude00`)']);
    expect(json.rules).toEqual([]);
    const yaml = parseRuleFile({ path: 'b.yaml', text: 'rule_id: s\nname: "n\\udc00"\nprohibited: [{when: "true"}]\n"k\\ud800": 1\n' });
    expect(yaml.diagnostics.filter((d) => d.code === 'lone-surrogate').map((d) => `${d.span.line}:${d.span.col}`)).toEqual(['2:7', '4:1']);
  });

  it('reads past a byte order mark: columns on line 1 are the same as without it', () => {
    for (const [path, text] of [['a.json', '{"rule_id": "J2", "required": [{"check": "1==1"}]}'], ['a.yaml', 'rule_id: P7b\nrequired: [{check: "1==1"}]\n']]) {
      const plain = lines(parseRuleFile({ path, text }).diagnostics);
      expect(plain[0]).toMatch(/^1:1[03] error invalid-rule-id/);
      expect(lines(parseRuleFile({ path, text: '\uFEFF' + text }).diagnostics)).toEqual(plain);
    }
  });

  it('a YAML error in MDC front matter is the one error, as in a YAML file', () => {
    const front = 'rule_id: x\nname: [unclosed\n';
    const mdc = lines(parseRuleFile({ path: 'r.mdc', text: `---\n${front}---\n# T\n` }).diagnostics);
    const yaml = lines(parseRuleFile({ path: 'r.yaml', text: front }).diagnostics);
    expect(mdc).toHaveLength(1);
    expect(mdc[0]).toMatch(/^3:16 error /); // the front matter's second line is the file's third
    expect(mdc[0].slice(4)).toBe(yaml[0].slice(4));
  });

  it('reads several YAML documents, a list and {rules: [...]}', () => {
    const r = parseRuleFile({ path: 'x.yml', text: `${rule('a')}---\n- ${rule('b').replace('\n', '\n  ')}---\nrules:\n  - ${rule('c').replace('\n', '\n    ')}` });
    expect(r.diagnostics).toEqual([]);
    expect(r.rules.map((x) => x.rule_id)).toEqual(['a', 'b', 'c']);
    expect(r.rules.map((x) => x.source.span.line)).toEqual([1, 4, 8]);
  });

  it('chooses the format by extension, case-insensitively, .md as MDC', () => {
    const md = parseRuleFile({ path: 'dir/r.MD', text: '**Rule ID:** `m`\n## Prohibited\n- no `true`\n' });
    expect(md.rules.map((r) => [r.rule_id, r.source.file])).toEqual([['m', 'dir/r.MD']]);
  });

  it('reports an unknown extension and a missing one', () => {
    expect(lines(parseRuleFile({ path: 'a/rules.txt', text: '' }).diagnostics)).toEqual([
      '1:1 error unknown-extension: unsupported rule file extension `.txt` | rule files end in `.json`, `.yaml`, `.yml`, `.mdc` or `.md`',
    ]);
    expect(lines(parseRuleFile({ path: 'Makefile', text: '' }).diagnostics)).toEqual([
      '1:1 error unknown-extension: rule file `Makefile` has no extension | rule files end in `.json`, `.yaml`, `.yml`, `.mdc` or `.md`',
    ]);
  });

  it('reports a file of the wrong shape, fields next to `rules`, and `rules` that is not a list', () => {
    expect(lines(parseRuleFile({ path: 'a.json', text: '42' }).diagnostics)).toEqual([
      '1:1 error invalid-shape: expected a rule, a list of rules or `{rules: [...]}`, got number',
    ]);
    expect(lines(parseRuleFile({ path: 'a.yaml', text: `rules: []\nversion: 2\n` }).diagnostics)).toEqual([
      '2:1 error unknown-field: unknown field `version` next to `rules` | a file with `rules:` holds only that list; put the field inside a rule',
    ]);
    expect(lines(parseRuleFile({ path: 'a.yaml', text: `rules: {rule_id: a}\n` }).diagnostics)).toEqual([
      '1:8 error invalid-shape: `rules` must be a list of rules, got map',
    ]);
  });

  it('refuses an empty file (a file caught mid-write must not drop its rules) and warns about an empty list', () => {
    for (const text of ['', '\n\n', '# nothing yet\n', '---\n', '~\n', 'null\n']) {
      expect(lines(parseRuleFile({ path: 'a.yaml', text }).diagnostics), JSON.stringify(text)).toEqual([
        '1:1 error empty-file: file is empty: it holds no rule (only blanks, comments or `null`) | to remove the rules of a file, delete the file; a file meant to hold none says so with `rules: []`',
      ]);
    }
    for (const text of ['[]', 'rules: []\n']) {
      expect(lines(parseRuleFile({ path: 'a.yaml', text }).diagnostics)).toEqual(['1:1 warning no-rules: file holds no rules']);
    }
  });

  it('keeps the valid rules of a file and drops the invalid ones, reporting them', () => {
    const r = parseRuleFile({ path: 'a.yaml', text: `${rule('ok')}---\nrule_id: bad\n` });
    expect(r.rules.map((x) => x.rule_id)).toEqual(['ok']);
    expect(hasErrors(r.diagnostics)).toBe(true);
  });

  it('loads no rule from a file with a reader error, but still checks its rules', () => {
    const r = parseRuleFile({ path: 'a.json', text: '[{"rule_id": "a", "rule_id": "b", "required": [{"check": "1==1"}]}, {"rule_id": "C"}]' });
    expect(r.rules).toEqual([]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['duplicate-key', 'invalid-rule-id', 'no-checkable-clause']);
  });

  it('sorts diagnostics by place in the file', () => {
    const r = parseRuleFile({ path: 'a.yaml', text: 'zz: 1\nrule_id: A\n' });
    const at = r.diagnostics.map((d) => [d.span.line, d.span.col]);
    expect(at).toEqual([...at].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });
});

describe('parseRuleText', () => {
  it('parses each format as told, whatever the path says', () => {
    expect(parseRuleText('{"rule_id": "j", "required": [{"check": "1==1"}]}', 'json', 'body').rules[0].rule_id).toBe('j');
    expect(parseRuleText(rule('y'), 'yaml', 'body').rules[0].rule_id).toBe('y');
    expect(parseRuleText('**Rule ID:** `m`\n## Required\n- ok `true`\n', 'mdc', 'body').rules[0].rule_id).toBe('m');
  });
});

describe('loadRuleSources', () => {
  it('splits the global baseline from tenants and marks each rule with its place', () => {
    const r = loadRuleSources([
      { path: 'tenants/acme/x.yaml', text: rule('acme-x') },
      { path: 'base.yaml', text: rule('base') },
      { path: 'sub/dir/more.yaml', text: rule('more') },
      { path: 'tenants/beta/y.yaml', text: rule('beta-y') },
    ]);
    expect(r.diagnostics).toEqual([]);
    expect(r.global.map((x) => [x.rule_id, x.source.file, x.source.tenant])).toEqual([
      ['base', 'base.yaml', undefined], ['more', 'sub/dir/more.yaml', undefined],
    ]);
    expect([...r.tenants].map(([t, rs]) => [t, rs.map((x) => [x.rule_id, x.source.tenant])])).toEqual([
      ['acme', [['acme-x', 'acme']]], ['beta', [['beta-y', 'beta']]],
    ]);
  });

  it('reports duplicate rule ids in the baseline, pointing at both places', () => {
    const r = loadRuleSources([{ path: 'a.yaml', text: rule('x') }, { path: 'b.yaml', text: `# c\n${rule('x')}` }]);
    expect(r.diagnostics.map((d) => `${d.span.file}:${d.span.line}:${d.span.col} ${d.code}: ${d.message} | ${d.help}`)).toEqual([
      'b.yaml:2:10 duplicate-rule-id: duplicate rule id `x` | first defined at a.yaml:1:10; rule ids must be unique',
    ]);
    expect(r.global.map((x) => x.source.file)).toEqual(['a.yaml']);
  });

  it('points a duplicate id at the id as written, in every format (a review, 11-28: at the rule\'s `{` or `---`)', () => {
    const r = loadRuleSources([
      { path: 'a.yaml', text: '# c\n\nrule_id: dup\nprohibited: [{message: x, when: "true"}]\n' },
      { path: 'b.json', text: '{\n  "name": "n",\n  "rule_id": "dup",\n  "prohibited": [{"message": "x", "when": "true"}]\n}\n' },
      { path: 'c.mdc', text: '---\ndescription: d\nrule_id: dup\n---\n# T\n## Prohibited\n- x `true`\n' },
      { path: 'e.mdc', text: '# T\n\n**Rule ID:** `dup`\n\n## Prohibited\n- x `true`\n' },
    ]);
    expect(r.diagnostics.map((d) => `${d.span.file}:${d.span.line}:${d.span.col} | ${d.help}`)).toEqual([
      'b.json:3:14 | first defined at a.yaml:3:10; rule ids must be unique',
      'c.mdc:3:10 | first defined at a.yaml:3:10; rule ids must be unique',
      'e.mdc:3:15 | first defined at a.yaml:3:10; rule ids must be unique',
    ]);
  });

  it('reports a tenant rule that reuses a global id, and duplicates within a tenant', () => {
    const r = loadRuleSources([
      { path: 'g.yaml', text: rule('shared') },
      { path: 'tenants/acme/a.yaml', text: rule('shared') },
      { path: 'tenants/acme/b.yaml', text: rule('own') },
      { path: 'tenants/acme/c.yaml', text: rule('own') },
      { path: 'tenants/beta/own.yaml', text: rule('own') },
    ]);
    expect(r.diagnostics.map((d) => `${d.span.file}: ${d.message} | ${d.help}`)).toEqual([
      'tenants/acme/c.yaml: duplicate rule id `own` | first defined at tenants/acme/b.yaml:1:10; rule ids must be unique',
      'tenants/acme/a.yaml: rule id `shared` of tenant `acme` is already a global rule | the global rule is at g.yaml:1:10; a tenant can add rules but not replace global ones, so rename it',
    ]);
    expect(r.tenants.get('acme')?.map((x) => x.rule_id)).toEqual(['own']);
    expect(r.tenants.get('beta')?.map((x) => x.rule_id)).toEqual(['own']);
  });

  it('prefixes file names with the root when given, reading tenancy below it', () => {
    const r = loadRuleSources([{ path: 'a.yaml', text: rule('x') }, { path: 'tenants/t/b.yaml', text: rule('x') }], { root: 'rules/' });
    expect(r.diagnostics.map((d) => `${d.span.file}: ${d.help}`)).toEqual([
      'rules/tenants/t/b.yaml: the global rule is at rules/a.yaml:1:10; a tenant can add rules but not replace global ones, so rename it',
    ]);
    expect(r.global[0].source.file).toBe('rules/a.yaml');
    expect(r.tenants.get('t')).toEqual([]);
  });

  it('loads a `Tenants/` or nested `tenants/` folder as global rules, with a warning', () => {
    const r = loadRuleSources([
      { path: 'Tenants/acme/a.yaml', text: rule('a') },
      { path: 'team/tenants/acme/b.yaml', text: rule('b') },
      { path: 'tenants.yaml', text: rule('c') },
    ]);
    expect(r.global.map((x) => x.rule_id)).toEqual(['a', 'b', 'c']);
    expect(r.tenants.size).toBe(0);
    expect(lines(r.diagnostics)).toEqual([
      '1:1 warning not-a-tenant-folder: `Tenants/acme/a.yaml` is a global rule file for every tenant: only a folder named `tenants` at the top of the rules directory holds tenant rules | move it to `tenants/<tenant>/` to make it one tenant\'s, or rename `Tenants` to say it is global',
      '1:1 warning not-a-tenant-folder: `team/tenants/acme/b.yaml` is a global rule file for every tenant: only a folder named `tenants` at the top of the rules directory holds tenant rules | move it to `tenants/<tenant>/` to make it one tenant\'s, or rename `tenants` to say it is global',
    ]);
  });

  it('validates tenant names and refuses files directly under tenants/', () => {
    const r = loadRuleSources([
      { path: 'tenants/Acme Corp/a.yaml', text: rule('a') },
      { path: 'tenants/loose.yaml', text: rule('b') },
    ]);
    expect(lines(r.diagnostics)).toEqual([
      '1:1 error invalid-tenant: invalid tenant name `Acme Corp` | a tenant name starts with a lowercase letter or digit, followed by lowercase letters, digits, `.`, `_` or `-`, at most 64 characters, not ending in `.`',
      '1:1 error misplaced-file: rule file `tenants/loose.yaml` is not in a tenant folder | put tenant rules in `tenants/<tenant>/`, and global rules outside `tenants/`',
    ]);
    expect(r.global).toEqual([]);
    expect(r.tenants.size).toBe(0);
    // At most 64 characters, as every tenant name (API keys, `mge check --tenant`): 65 no key could reach.
    const named = loadRuleSources([{ path: `tenants/${'b'.repeat(64)}/a.yaml`, text: rule('a') }, { path: `tenants/${'c'.repeat(65)}/b.yaml`, text: rule('b') }]);
    expect([...named.tenants.keys()]).toEqual(['b'.repeat(64)]);
    expect(named.diagnostics.map((d) => d.code)).toEqual(['invalid-tenant']);
    // Not ending in `.`: Windows drops it from a folder's name, so `acme.` would be `acme`.
    const dotted = loadRuleSources([{ path: 'tenants/acme./a.yaml', text: rule('a') }, { path: 'tenants/acme.eu/b.yaml', text: rule('b') }]);
    expect([...dotted.tenants.keys()]).toEqual(['acme.eu']);
    expect(dotted.diagnostics.map((d) => d.message)).toEqual(['invalid tenant name `acme.`']);
    // A key may name tenant `Acme`; its folder cannot, and the help says how it gets rules.
    expect(lines(loadRuleSources([{ path: 'tenants/Acme/a.yaml', text: rule('a') }]).diagnostics)).toEqual([
      '1:1 error invalid-tenant: invalid tenant name `Acme` | tenant folders are lower case, so that a case-insensitive file system cannot mix two tenants up; a tenant with upper-case letters can have rules through the API (PUT /api/v1/rules/:id), not in a folder',
    ]);
  });
});
