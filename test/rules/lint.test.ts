import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lintCommand } from '../../src/cli/lint.js';
import { readRulesDir } from '../../src/adapters/node/files.js';

const FIX = 'test/fixtures/rules';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  const code = await lintCommand(argv);
  vi.restoreAllMocks();
  return { code, out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('mge lint', () => {
  it('exits 0 with no output on a valid rules directory (tenants included, README skipped)', async () => {
    const r = await run([`${FIX}/valid`]);
    expect(r).toEqual({ code: 0, out: '', err: 'no problems (5 files, 7 valid rules)\n' });
  });

  it('prints an advisory clause as a warning: exit 0, but 1 with --strict', async () => {
    const expected = [
      `${FIX}/advisory/orm.mdc:8:3: warning: clause \`All database operations must use ORM\` has no expression and is never enforced`,
      '  8 | - All database operations must use ORM',
      '    |   ^',
      '  = help: to enforce it, end the bullet with an expression in backticks, like: - Must use TLS `context.tls == true`',
      '',
    ].join('\n');
    expect(await run([`${FIX}/advisory`])).toEqual({ code: 0, out: expected, err: '0 errors, 1 warning (1 file, 1 valid rule)\n' });
    expect(await run(['--strict', `${FIX}/advisory`])).toMatchObject({ code: 1, out: expected });
  });

  it('exits 1 and prints every error of a broken directory in file:line:col form', async () => {
    const r = await run([`${FIX}/broken`]);
    expect(r.code).toBe(1);
    const firstLines = r.out.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l));
    expect(firstLines).toEqual([
      `${FIX}/broken/bad.yaml:2:1: error: unknown field \`catgory\``,
      `${FIX}/broken/bad.yaml:3:11: error: \`severity\` must be \`low\`, \`medium\`, \`high\` or \`critical\`, got \`urgent\``,
      `${FIX}/broken/bad.yaml:5:13: error: invalid glob pattern \`db.[x\``,
      `${FIX}/broken/bad.yaml:7:11: error: unknown condition type \`rate_limit\``,
      `${FIX}/broken/bad.yaml:9:40: error: parameter \`requests_per_minute\` must be greater than 0, got \`0\``,
      `${FIX}/broken/bad.yaml:12:39: error: expected an expression, found end of input`,
      `${FIX}/broken/shared.yaml:1:10: error: duplicate rule id \`shared\``,
      `${FIX}/broken/tenants/Bad_Tenant/x.yaml:1:1: error: invalid tenant name \`Bad_Tenant\``,
      `${FIX}/broken/tenants/acme/shared.yaml:1:10: error: rule id \`shared\` of tenant \`acme\` is already a global rule`,
    ]);
    expect(r.out).toContain('  12 |     when: action.type == "db.write" &&\n     |                                       ^\n');
    expect(r.err).toBe('9 errors, 0 warnings (5 files, 1 valid rule)\n');
    expect(r.out).toContain(`  = help: first defined at ${FIX}/broken/dup.json:1:14; rule ids must be unique\n`);
  });

  it('lints single files by extension', async () => {
    expect(await run([`${FIX}/valid/api.yaml`, `${FIX}/valid/list.json`])).toEqual({
      code: 0, out: '', err: 'no problems (2 files, 3 valid rules)\n',
    });
    const bad = await run([`${FIX}/broken/bad.yaml`]);
    expect(bad.code).toBe(1);
    expect(bad.out.startsWith(`${FIX}/broken/bad.yaml:2:1: error: unknown field \`catgory\`\n  2 | catgory: security\n`)).toBe(true);
  });

  it('warns about a rules directory with no rule file (every check would be approved)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mge-empty-rules-'));
    writeFileSync(join(empty, 'notes.txt'), 'not a rule');
    try {
      const r = await run([empty]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`${empty}:1:1: warning: no rule files in \`${empty}\`: every check would be approved`);
      expect((await run(['--strict', empty])).code).toBe(1);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('warns of a README.md that reads as a rule: it is skipped as documentation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-readme-rule-'));
    writeFileSync(join(dir, 'README.md'), '# No drops\n**Rule ID:** `no-drop`\n## Prohibited\n- no drops `action.type == "db.drop"`\n');
    writeFileSync(join(dir, 'kept.yaml'), 'rule_id: kept\nprohibited: [{when: "true"}]\n');
    try {
      const r = await run([dir]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`${join(dir, 'README.md')}:2:1: warning: \`${join(dir, 'README.md')}\` reads as a rule (it names a rule id), but a folder's README.md is documentation and is never loaded`);
      expect(r.err).toBe('0 errors, 1 warning (1 file, 1 valid rule)\n');
      // A README that is documentation says nothing, examples in code blocks included.
      writeFileSync(join(dir, 'README.md'), '# Rules here\nEach file holds one rule; see `rule_id` in the docs.\n\n```yaml\nrule_id: api-rate-limiting\n```\n\n````md\n**Rule ID:** `x`\n```\n````\n\n```\n```md\n**Rule ID:** `y`\n```\n\n    **Rule ID:** `indented code`\n');
      expect(await run([dir])).toMatchObject({ code: 0, out: '' });
      writeFileSync(join(dir, 'README.md'), '---\nname: x\nrule_id: from-front-matter\n---\n# X\n');
      expect((await run([dir])).out).toContain(`${join(dir, 'README.md')}:3:1: warning:`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A review (11-29): `.no-drop.yaml` was skipped as a dotfile without a word, lint said "no problems".
  it('warns of a dotfile that reads as a rule: dotfiles are skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-dot-rule-'));
    writeFileSync(join(dir, 'base.yaml'), 'rule_id: base\nprohibited: [{when: "action.type == \\"never\\""}]\n');
    writeFileSync(join(dir, '.no-drop.yaml'), 'rule_id: no-drop\nprohibited:\n  - message: no drops\n    when: action.type == "db.drop"\n');
    // Quiet: a dotfile holding no rule, a swap file, a dot-folder, and an editor's lock (a link).
    writeFileSync(join(dir, '.notes.yaml'), 'owner: platform-team\n');
    writeFileSync(join(dir, '.base.yaml.swp'), 'rule_id: base\n');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'x.yaml'), 'rule_id: x\nprohibited: [{when: "true"}]\n');
    symlinkSync('root@host.1234', join(dir, '.#base.yaml'));
    try {
      const r = await run([dir]);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${join(dir, '.no-drop.yaml')}:1:1: warning: \`${join(dir, '.no-drop.yaml')}\` reads as a rule (it names a rule id), but its name starts with a dot, and dotfiles are skipped, so it is never loaded\n  = help: rename it without the leading dot to have it loaded, or drop the rule id if it is set aside on purpose\n`);
      expect(r.err).toBe('0 errors, 1 warning (1 file, 1 valid rule)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A review (11-27): `deny-prod.ymal` was skipped without a word, and what it denied was approved.
  it('warns of a file that reads as a rule under a misspelled extension: it is never loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-misnamed-'));
    const yaml = 'rule_id: deny-prod\nprohibited:\n  - message: m\n    when: action.type == "typo"\n';
    const files: Record<string, string> = {
      'deny-prod.ymal': yaml,
      'x.mcd': '---\nrule_id: x\n---\n# X\n## Prohibited\n- x `action.type == "y"`\n',
      'j.jsn': '{"rule_id": "j", "prohibited": [{"when": "true"}]}',
      // SPEC §3.2's other forms: a list, `rules:`, a flow map, a quoted key.
      'l.yam': '# rules\n- rule_id: l\n  prohibited: [{when: "true"}]\n',
      'r.ymal': 'rules:\n  - rule_id: r\n    prohibited: [{when: "true"}]\n',
      'f.ymal': "{ 'rule_id': f, prohibited: [{when: 'true'}] }\n",
      // Other languages that merely say `rule_id:` (a re-review): they do not read as rules.
      'types.ml': 'type rule = { rule_id : string; name : string }\n',
      'Main.qml': 'Item {\n  property int rule_id: 3\n}\n',
      // Formats of their own, and a file larger than a rule (read whole, one ran serve out of memory).
      'export.jsonl': '{"kind":"rule_change","rule_id":"x"}\n',
      'page.mdx': '**Rule ID:** `x`\n',
      'c.xml': '  rule_id: foo\n',
      'Makefile.mk': 'rule_id: deps\n',
      'x.m': 'rule_id: x\n',
      'big.mdb': 'rule_id: x\n' + '\n'.repeat(2 * 1024 * 1024),
      'big.ymal': 'rule_id: x\n' + '\n'.repeat(2 * 1024 * 1024),
      // Set aside on purpose, or not a rule: nothing said.
      'off.yaml.disabled': yaml,
      'off.yaml~': yaml,
      'notes.yml1': 'just notes\n',
      'kept.yaml': 'rule_id: kept\nprohibited: [{when: "true"}]\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    try {
      const r = await run([dir]);
      expect(r.code).toBe(0);
      const warned = r.out.split('\n').filter((l) => l.includes(': warning: '));
      expect(warned).toEqual(['deny-prod.ymal:1:1', 'f.ymal:1:1', 'j.jsn:1:1', 'l.yam:2:1', 'r.ymal:2:1', 'x.mcd:2:1'].map((at) => {
        const file = join(dir, at.split(':')[0]);
        return `${join(dir, at)}: warning: \`${file}\` reads as a rule (it names a rule id), but its name does not end in a rule file's extension, so it is never loaded`;
      }));
      expect(r.out).toContain('= help: rule files end in .mdc, .md, .yaml, .yml, .json: rename it to have it loaded');
      expect((await run(['--strict', dir])).code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on usage errors, with the message on stderr', async () => {
    expect(await run([])).toEqual({ code: 2, out: '', err: 'mge lint: no PATH given\nusage: mge lint [--strict] PATH…\n' });
    expect(await run(['--strikt', FIX])).toEqual({
      code: 2, out: '', err: 'mge lint: unknown option `--strikt`\nusage: mge lint [--strict] PATH…\n',
    });
    const missing = await run([`${FIX}/nope`]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^mge lint: cannot read `test\/fixtures\/rules\/nope`: ENOENT[^\n]*\n$/);
    expect(await run(['--strict', '--strict', FIX])).toEqual({
      code: 2, out: '', err: 'mge lint: `--strict` is given more than once\nusage: mge lint [--strict] PATH…\n',
    });
  });

  // A review (11-27): one PATH that could not be read dropped every other PATH's findings.
  it('lints the other PATHs when one cannot be read (exit 2), and a PATH named twice once', async () => {
    const broken = `${FIX}/broken/bad.yaml`;
    const alone = await run([broken]);
    const r = await run([broken, `${FIX}/nope`, `./${broken}`]);
    expect(r.code).toBe(2);
    expect(r.out).toBe(alone.out);
    expect(r.err).toMatch(/^mge lint: cannot read `test\/fixtures\/rules\/nope`: ENOENT[^\n]*\n1 path not read; in the rest, 6 errors, 0 warnings \(1 file, 0 valid rules\)\n$/);
    // Not "no problems" beside exit 2 (an operator's review, 11-29).
    const clean = await run(['rules', `${FIX}/nope`]);
    expect(clean.code).toBe(2);
    expect(clean.err).toMatch(/\n1 path not read; in the rest, no problems \(\d+ files, \d+ valid rules\)\n$/);
  });

  it('names every file it cannot read among its other findings (exit 1), and never blocks on a FIFO', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-lint-unreadable-'));
    try {
      writeFileSync(join(dir, 'a.yaml'), Buffer.concat([Buffer.from('rule_id: a\nprohibited: [{when: "true"}]\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
      writeFileSync(join(dir, 'b.yaml'), 'rule_id: b\nprohibted: [{when: "true"}]\n');
      symlinkSync(join(dir, 'gone'), join(dir, 'shared'));
      execFileSync('mkfifo', [join(dir, 'f.yaml')]);
      const r = await run([dir]);
      expect(r.code).toBe(1);
      const lines = r.out.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l));
      // No "no checkable clause" for b's misspelled `prohibted`: its own error says what was meant.
      expect(lines.map((l) => l.slice(dir.length + 1).split(': error: ')[0])).toEqual(['a.yaml:3:6', 'f.yaml:1:1', 'shared:1:1', 'b.yaml:2:1']);
      const fifo = await run([join(dir, 'f.yaml')]); // named directly: refused, not read forever
      expect(fifo.code).toBe(1);
      expect(fifo.out).toContain('f.yaml` is not a regular file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // `mge lint --help` is answered by the command line itself (test/cli/help.test.ts).
  it('takes paths after --', async () => {
    expect((await run(['--', `${FIX}/valid`])).code).toBe(0);
  });
});

describe('readRulesDir', () => {
  it('reads rule files recursively, sorted, with / paths, skipping README.md', async () => {
    const sources = await readRulesDir(`${FIX}/valid`);
    expect(sources.map((s) => s.path)).toEqual(['api.yaml', 'db-access.mdc', 'list.json', 'multi.yaml', 'tenants/acme/extra.yaml']);
    expect(sources[0].text.startsWith('rule_id: api-rate-limiting\n')).toBe(true);
  });
});
