import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function mge(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test/cli/mge.ts'), ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mge check (SPEC §9)', () => {
  it('refuses an empty --rules and a directory without rule files, reads an empty MGE_RULES_DIR as unset, and warns of rule files without rules', () => {
    const empty = mge(['check', '--rules', ''], '{"action":"x"}');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('`--rules` needs a value');
    const twice = mge(['check', '--explain', '--explain'], '{"action":"x"}');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('`--explain` is given more than once');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test/cli/mge.ts'), 'check'], { cwd: root, input: '{"action":"x"}', encoding: 'utf8', env: { ...process.env, MGE_RULES_DIR: '' } });
    expect(r.status).toBe(0); // ./rules, the default
    expect(r.stderr).toBe('');
    // A CI gate on a wrong path or an unmounted volume: refused, as `mge serve` refuses to start.
    const noFiles = mkdtempSync(join(tmpdir(), 'mge-check-none-'));
    const none = mge(['check', '--rules', noFiles], '{"action":"x"}');
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(`the rules directory \`${noFiles}\` holds no rule file, so every request would be approved (a wrong path, a volume not mounted?); to decide against no rules, leave a file holding \`rules: []\``);
    writeFileSync(join(noFiles, 'none.yaml'), 'rules: []\n');
    const empty2 = mge(['check', '--rules', noFiles], '{"action":"x"}');
    expect(empty2.code).toBe(0);
    expect(empty2.stderr).toBe(`mge check: warning: no rules in \`${noFiles}\`: every request is approved\n${noFiles}/none.yaml:1:1: warning: file holds no rules\n`);
    // Rules in a tenant's folder only: the default tenant gets none, and that is said.
    const tenantsOnly = mkdtempSync(join(tmpdir(), 'mge-check-tenants-'));
    mkdirSync(join(tenantsOnly, 'tenants', 'acme'), { recursive: true });
    writeFileSync(join(tenantsOnly, 'tenants', 'acme', 'r.yaml'), 'rule_id: no-drop\nprohibited:\n  - message: no drops\n    when: action.type == "db.drop"\n');
    const asDefault = mge(['check', '--rules', tenantsOnly], '{"action":"db.drop"}');
    expect(asDefault.code).toBe(0);
    expect(asDefault.stderr).toBe(`mge check: warning: no rule in \`${tenantsOnly}\` applies to tenant \`default\` (only \`acme\` has rules; give \`--tenant\`?): every request is approved\n`);
    const asAcme = mge(['check', '--rules', tenantsOnly, '--tenant', 'acme'], '{"action":"db.drop"}');
    expect(asAcme.code).toBe(1);
    expect(asAcme.stderr).toBe('');
  });


  it('says on stderr what lint warns of: a clause never enforced, a README.md that reads as a rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-check-warn-'));
    writeFileSync(join(dir, 'r.mdc'), '---\nrule_id: r\n---\n## Prohibited\n- No prod writes `context.environment == "production"`.\n- No drops `action.type == "db.drop"`\n');
    writeFileSync(join(dir, 'README.md'), '---\nrule_id: zr\n---\n## Prohibited\n- m `true`\n');
    const r = mge(['check', '--rules', dir], '{"action":"db.write","context":{"environment":"production"}}');
    // With a rule in error the README warning is still said, beside the error.
    writeFileSync(join(dir, 'bad.yaml'), 'rule_id: bad\nprohibited:\n  - message: m\n    when: "(("\n');
    const failed = mge(['check', '--rules', dir], '{"action":"x"}');
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`${dir}/README.md:2:1: warning:`);
    rmSync(join(dir, 'bad.yaml'));
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes(': warning: '))).toEqual([
      `${dir}/README.md:2:1: warning: \`${dir}/README.md\` reads as a rule (it names a rule id), but a folder's README.md is documentation and is never loaded`,
      `${dir}/r.mdc:5:3: warning: clause \`No prod writes \`context.environment == "production"\`.\` has no expression and is never enforced`,
    ]);
  });

  it('warns of a --tenant named as a tenant with rules in another case: its checks get the global rules only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-check-tenant-'));
    mkdirSync(join(dir, 'tenants', 'acme'), { recursive: true });
    writeFileSync(join(dir, 'tenants', 'acme', 'r.yaml'), 'rule_id: r\nprohibited:\n  - message: m\n    when: action.type == "x"\n');
    for (const tenant of ['Acme', 'ACME']) {
      const r = mge(['check', '--rules', dir, '--tenant', tenant], '{"action":"x"}');
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`mge check: warning: tenant \`${tenant}\` has no rules of its own, but tenant \`acme\` has: tenant names are exact (case too), so \`${tenant}\`'s checks get the global rules only\n`);
    }
    expect(mge(['check', '--rules', dir, '--tenant', 'acme'], '{"action":"x"}')).toMatchObject({ code: 1, stderr: '' });
    expect(mge(['check', '--rules', dir, '--tenant', 'initech'], '{"action":"x"}')).toMatchObject({ code: 0, stderr: '' });
    // A letter apart is another tenant, usually meant (`team1`, `team2`): no warning.
    expect(mge(['check', '--rules', dir, '--tenant', 'acmf'], '{"action":"x"}')).toMatchObject({ code: 0, stderr: '' });
  });

  it('names what is wrong with the rules directory and the request, not ENOENT or an offset alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-check-msg-'));
    const cases: Array<[string[], string | undefined, string]> = [
      [['--rules', join(dir, 'nope')], '{"action":"x"}', `mge check: rules directory \`${join(dir, 'nope')}\` not found; give \`--rules DIR\` or set MGE_RULES_DIR (the default is ./rules)\n`],
      [['--rules', 'C:\\work\\rules'], '{"action":"x"}', 'mge check: rules directory `C:\\work\\rules` not found (`\\` is no path separator here: write `/`); give `--rules DIR` or set MGE_RULES_DIR (the default is ./rules)\n'],
      [['--rules', 'rules/file-access.yaml'], '{"action":"x"}', 'mge check: rules directory `rules/file-access.yaml` is not a directory (`mge lint FILE` checks a single rule file)\n'],
      [['--request', dir], undefined, `mge check: request file \`${dir}\` is a directory; give the JSON file of one check request\n`],
      [['--request', join(dir, 'r.json')], undefined, `mge check: request file \`${join(dir, 'r.json')}\` not found\n`],
      [[], '', 'mge check: the request in `stdin` is empty: give the check request JSON, e.g. {"action": "db.read"}\n'],
      [[], '{"action":\n  nope}', 'mge check: the request in `stdin` is not accepted JSON: unexpected `n` at offset 13 (line 2, column 3)\n'],
      [['--explain=false'], '{"action":"x"}', 'mge check: `--explain` takes no value (give `--explain` alone, or leave it out)\n'],
      // The position need not end the message.
      [[], '{"action":"x",\n "s": "\\ud800"}', 'mge check: the request in `stdin` is not accepted JSON: string at offset 21 contains a lone UTF-16 surrogate (line 2, column 7)\n'],
      // The position is the parser's (the last named), not an " at offset" in the request's own text.
      [[], '{"k at offset 3": 1,\n"k at offset 3": 2}', 'mge check: the request in `stdin` is not accepted JSON: duplicate key `k at offset 3` at offset 21 (line 2, column 1)\n'],
    ];
    for (const [args, input, stderr] of cases) {
      const r = mge(['check', ...args], input);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('usage:')[0], args.join(' ')).toBe(stderr);
    }
  });

  it('keeps its exit code when its reader goes away before the decision is printed (`| head -c 0`)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/cli/mge.ts'), 'check', '--rules', 'rules', '--explain'], { cwd: root });
    child.stdout.destroy(); // the pipe's reader is gone: the decision's write fails with EPIPE
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(JSON.stringify({ action: { type: 'file.read', path: '/workspace/notes.txt' } }));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0); // approved, not a crash read as "denied"
  });

  it('exits 2, saying why, when the decision cannot be written (`> /dev/full`)', async () => {
    const full = await open('/dev/full', 'w').catch(() => undefined);
    if (full === undefined) return; // no /dev/full here (not Linux)
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/cli/mge.ts'), 'check', '--rules', 'rules'], { cwd: root, stdio: ['pipe', full.fd, 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdin!.end(JSON.stringify({ action: { type: 'file.read', path: '/workspace/notes.txt' } }));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toMatch(/^mge check: the output could not be written: .*ENOSPC/);
      expect(code).toBe(2); // was 0: "approved", with nothing written
    } finally {
      await full.close();
    }
  });


  it('prints the decision without a receipt and exits 0 when approved', () => {
    const r = mge(['check', '--rules', 'rules'], JSON.stringify({ action: { type: 'file.read', path: '/workspace/notes.txt' } }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ approved: true, reasoning: 'All rules passed', rule_ids: ['file-access'], tenant: 'default' });
    expect(d.receipt).toBeUndefined();
    expect(d.explanation).toBeUndefined();
  });

  it('exits 1 when denied, and explains with --explain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-check-'));
    const file = join(dir, 'req.json');
    writeFileSync(file, JSON.stringify({ action: { type: 'file.write', path: '/workspace/../etc/passwd' } }));
    const r = mge(['check', '--rules', 'rules', '--request', file, '--explain']);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.approved).toBe(false);
    expect(d.violations).toEqual([
      expect.objectContaining({ rule_id: 'file-access', clause: 'conditions[0]', code: 'path_not_allowed' }),
    ]);
    expect(d.explanation).toEqual([
      expect.objectContaining({ rule_id: 'file-access', clause: 'conditions[0]', values: { 'action.path': '/workspace/../etc/passwd' } }),
    ]);
  });

  it('checks a tenant against the baseline plus its own rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-rules-'));
    writeFileSync(join(dir, 'base.yaml'), 'rule_id: base\nprohibited:\n  - message: no deletes\n    when: action.type == "db.delete"\n');
    const tenantDir = join(dir, 'tenants', 'acme');
    mkdirSync(tenantDir, { recursive: true });
    writeFileSync(join(tenantDir, 'acme.yaml'), 'rule_id: acme-only\nprohibited:\n  - message: acme never reads\n    when: action.type == "db.read"\n');
    const read = JSON.stringify({ action: 'db.read' });
    expect(mge(['check', '--rules', dir], read).code).toBe(0);
    const acme = mge(['check', '--rules', dir, '--tenant', 'acme'], read);
    expect(acme.code).toBe(1);
    expect(JSON.parse(acme.stdout)).toMatchObject({ tenant: 'acme', reasoning: 'Denied by acme-only: acme never reads' });
    // tenant names are what keys and the rules directory allow: no path in disguise
    const escape = mge(['check', '--rules', dir, '--tenant', '../tenants/acme'], read);
    expect(escape.code).toBe(2);
    expect(escape.stderr).toContain('invalid tenant name `../tenants/acme`');
  });

  it('exits 2 with a message on stderr for bad input, bad rules and bad usage', () => {
    const bad = mge(['check', '--rules', 'rules'], '{"action": "a", "action": "b"}');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^mge check: .*duplicate/m);

    const shape = mge(['check', '--rules', 'rules'], '{"action": 1}');
    expect(shape.code).toBe(2);
    expect(shape.stderr).toBe('mge check: `action` must be an object with a string `type`, or a string\n');

    const dir = mkdtempSync(join(tmpdir(), 'mge-broken-'));
    writeFileSync(join(dir, 'x.yaml'), 'rule_id: x\nprohibted:\n  - message: m\n    when: true\n');
    const rules = mge(['check', '--rules', dir], '{"action":"a"}');
    expect(rules.code).toBe(2);
    // Named with the directory in front, as `mge lint DIR` names it: a path that opens from here.
    expect(rules.stderr.split('\n')).toContain(`${dir}/x.yaml:2:1: error: unknown field \`prohibted\``);

    const usage = mge(['check', '--bogus'], '{}');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^mge check: unknown option `--bogus`\nusage: mge check /);
  });

  // A review (11-29): a request's key or stray byte holding ESC reached the terminal as it was
  // (it cleared the screen and set the title); lint's messages already named such characters.
  it('names the control and format characters a bad request quotes, so the terminal does not run them', () => {
    const key = mge(['check', '--rules', 'rules'], '{"action":"x","\\u001b[2J\\u202eevil":1}');
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('`U+001B[2JU+202Eevil`');
    const stray = mge(['check', '--rules', 'rules'], '{"action":"x",\u001b[31m}');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('U+001B');
    for (const r of [key, stray]) expect(r.stderr).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('mge', () => {
  // A review (11-27): the whole input was read before its size was looked at; `--request
  // /dev/zero` grew to 1.4 GB in 8 s.
  it('stops reading a request past 64 KiB, from a file or an endless source, and exits 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-check-big-'));
    const exact = `{"action":"x","context":{"pad":"${'p'.repeat(65_536 - 40)}"}}`.padEnd(65_536, ' ');
    writeFileSync(join(dir, 'exact.json'), exact);
    writeFileSync(join(dir, 'over.json'), exact + ' ');
    // Within the limit: read and decided (its string is over the 8 KiB string limit: a 400-like refusal, not a size one).
    const atLimit = mge(['check', '--request', join(dir, 'exact.json')]);
    expect(atLimit.stderr).not.toContain('larger than');
    const over = mge(['check', '--request', join(dir, 'over.json')]);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('is larger than 65536 bytes');
    const endless = mge(['check', '--request', '/dev/zero']);
    expect(endless.code).toBe(2);
    expect(endless.stderr).toBe('mge check: the request in `/dev/zero` is larger than 65536 bytes, the limit of a check request\n');
    const piped = mge(['check'], Buffer.alloc(200_000, 0x20));
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('the request in `stdin` is larger than 65536 bytes');
  });

  it('holds a request to the limits `mge serve` has from MGE_MAX_*: the same request, the same answer', () => {
    const run = (env: Record<string, string>, input: string) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test/cli/mge.ts'), 'check', '--rules', 'rules'], { cwd: root, input, encoding: 'utf8', env: { ...process.env, ...env } });
      return { code: r.status, stderr: r.stderr };
    };
    // Decided (0 approved, 1 denied by the example rules), not refused (2).
    const decided = (r: { code: number | null }) => expect([0, 1]).toContain(r.code);
    const deep = JSON.stringify({ action: 'db.read', context: { a: { b: { c: {} } } } }); // depth 5
    decided(run({}, deep));
    expect(run({ MGE_MAX_DEPTH: '4' }, deep)).toMatchObject({ code: 2, stderr: expect.stringContaining('deeper than 4') });
    const long = JSON.stringify({ action: 'db.read', context: { s: 'x'.repeat(17) } });
    decided(run({}, long));
    expect(run({ MGE_MAX_STRING_BYTES: '16' }, long).code).toBe(2);
    const wide = JSON.stringify({ action: 'db.read', context: { a: Array(301).fill(1) } });
    decided(run({ MGE_MAX_ARRAY_ITEMS: '301' }, wide));
    expect(run({ MGE_MAX_ARRAY_ITEMS: '300' }, wide).code).toBe(2);
    const big = JSON.stringify({ action: 'db.read', context: { s: Array.from({ length: 300 }, () => 'y'.repeat(300)) } }); // ~92 KB
    expect(run({}, big).stderr).toContain('is larger than 65536 bytes');
    decided(run({ MGE_MAX_BODY_BYTES: '131072', MGE_MAX_STRING_BYTES: '1000' }, big));
    expect(run({ MGE_MAX_DEPTH: 'deep' }, deep)).toMatchObject({ code: 2, stderr: expect.stringContaining('MGE_MAX_DEPTH `deep` is not a whole number from 1 to') });
  });

  it('reads the request bytes as an HTTP body is read: BOM dropped, invalid UTF-8 refused', () => {
    const json = JSON.stringify({ action: { type: 'file.read', path: '/workspace/é.txt' } });
    const plain = mge(['check', '--rules', 'rules'], json);
    const bom = mge(['check', '--rules', 'rules'], Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]));
    expect(bom.code).toBe(0);
    expect(JSON.parse(bom.stdout).action_hash).toBe(JSON.parse(plain.stdout).action_hash);
    // 0xFF, and a surrogate written in CESU-8 (ED A0 80): Buffer.toString would make U+FFFD of them.
    for (const bad of [Buffer.from([0xff]), Buffer.from([0xed, 0xa0, 0x80])]) {
      const r = mge(['check', '--rules', 'rules'], Buffer.concat([Buffer.from('{"action":{"type":"x","name":"a'), bad, Buffer.from('"}}')]));
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('mge check: the request in `stdin` is not valid UTF-8\n');
    }
  });

  it('keeps its exit code when the reader is slow to take a long output (lint --strict, 1)', async () => {
    // ~72 KB of warnings: more than a pipe holds, the rest waiting in the stream. Waiting for
    // 'drain' (never sent for that rest) let the process end with exit 0 (a review).
    const dir = mkdtempSync(join(tmpdir(), 'mge-slow-reader-'));
    try {
      const bullets = Array.from({ length: 220 }, (_, i) => `- advice number ${i}, which reads as advice and is never enforced`).join('\n');
      writeFileSync(join(dir, 'adv.mdc'), `---\nrule_id: adv\n---\n# Adv\n## Prohibited\n- drop \`action.type == "db.drop"\`\n${bullets}\n`);
      // A shell pipe whose reader waits a second: a Node parent would take the output at once.
      const lint = [process.execPath, '--import', 'tsx', join(root, 'test/cli/mge.ts'), 'lint', '--strict', dir].map((a) => `'${a}'`).join(' ');
      const r = spawnSync('bash', ['-c', `${lint} 2>/dev/null | (sleep 1; wc -c); echo "exit \${PIPESTATUS[0]}"`], { cwd: root, encoding: 'utf8' });
      const [bytes, exit] = r.stdout.trim().split('\n');
      expect(Number(bytes)).toBeGreaterThan(64 * 1024);
      expect(exit).toBe('exit 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 when its error cannot be said either (`2>/dev/full`), not 1 from a crash', () => {
    const cmd = [process.execPath, '--import', 'tsx', join(root, 'test/cli/mge.ts'), 'check', '--rules', 'no-such-dir'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('bash', ['-c', `${cmd} </dev/null 2>/dev/full; echo "exit $?"`], { cwd: root, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('exit 2');
  });

  it('names an unknown command and exits 2', () => {
    const r = mge(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mge: unknown command `frobnicate`/);
  });
});
