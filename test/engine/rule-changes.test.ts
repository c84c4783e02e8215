// Rule changes on the engine: API changes and file reloads are serialized, and a reload reports
// each tenant's policy just before and after its own swap, so an API change made while the
// files were being read never shows up as a change the files made.

import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { ruleDiff } from '../../src/http/rule-changes.js';

const FILES = [{ path: 'base.yaml', text: 'rule_id: base\nprohibited:\n  - message: no drops\n    when: action.type == "db.drop"\n' }];
const API = { format: 'json' as const, text: JSON.stringify({ rule_id: 'api-rule', prohibited: [{ message: 'm', when: 'action.type == "x"' }] }) };

describe('Engine.reloadFiles beside API changes', () => {
  it('reports only what the files changed, even with an API change queued just before it', async () => {
    const engine = await createEngine({ rules: FILES });
    const put = engine.putRule('acme', API);
    const reload = engine.reloadFiles(FILES); // the same files: nothing changed by them
    expect((await put).ok).toBe(true);
    const r = await reload;
    if (!r.ok) throw new Error('reload refused');
    expect(ruleDiff(r.before('acme').rules, r.after('acme').rules, (x) => engine.isFromApi('acme', x))).toEqual([]);
    expect(r.after('acme').rules.map((x) => x.rule_id).sort()).toEqual(['api-rule', 'base']);
  });

  it('keeps loadWarnings of what serves, and returns the reader\'s warnings with a refused reload\'s errors', async () => {
    const engine = await createEngine({ rules: FILES });
    const readme = { severity: 'warning' as const, code: 'readme-rule', message: 'README.md reads as a rule', span: { file: 'README.md', line: 1, col: 1 } };
    const bad = await engine.reloadFiles([...FILES, { path: 'bad.yaml', text: 'rule_id: bad\nprohibited:\n  - message: m\n    when: "(("\n' }], undefined, [readme]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.diagnostics[0]).toEqual(readme);
    expect(engine.loadWarnings).toEqual([]); // what serves is unchanged, and has none
    const good = await engine.reloadFiles(FILES, undefined, [readme]);
    expect(good.ok).toBe(true);
    expect(engine.loadWarnings).toEqual([readme]);
  });

  it('a file rule taking an API rule\'s id reloads; that tenant alone is denied, under a version of its own, until one goes', async () => {
    const engine = await createEngine({ rules: FILES });
    expect((await engine.putRule('acme', API)).ok).toBe(true);
    const clash = { path: 'clash.yaml', text: 'rule_id: api-rule\nprohibited:\n  - message: file\n    when: action.type == "y"\n' };
    const r = await engine.reloadFiles([...FILES, clash]);
    expect(r.ok).toBe(true); // until 11-28: refused for every tenant
    const acme = await engine.evaluate({ action: 'z' }, { tenant: 'acme' });
    expect(acme).toMatchObject({ approved: false, violations: [{ rule_id: 'mge.engine', code: 'rules_refused' }] });
    expect(acme.violations[0].message).toBe("tenant `acme`'s API rule `api-rule` has the id of a file rule, and a rule id belongs to one rule: delete the API rule, or give the file rule another rule_id (GET /api/v1/rules shows the file rule in force); denied (fail closed)");
    expect(engine.refusedTenants().map((t) => t.tenant)).toEqual(['acme']);
    expect((await engine.evaluate({ action: 'y' }, { tenant: 'globex' })).approved).toBe(false); // the file rule serves the others
    // Its rules are the others (the file rule's, not the API rule's), under a version that is not theirs.
    const rules = engine.policy('acme').rules;
    expect(rules.find((x) => x.rule_id === 'api-rule')?.source.file).toBe('clash.yaml');
    const refusedVersion = engine.policy('acme').policyVersion;
    expect(await engine.deleteRule('acme', 'api-rule')).toBe('deleted');
    expect(engine.refusedTenants()).toEqual([]);
    expect(engine.policy('acme').policyVersion).not.toBe(refusedVersion);
    expect(engine.policy('acme').policyVersion).toBe(engine.policy('globex').policyVersion);
    expect((await engine.evaluate({ action: 'z' }, { tenant: 'acme' })).approved).toBe(true);
    // A PUT naming a file rule's id is still a conflict.
    expect(await engine.putRule('acme', API)).toMatchObject({ ok: false, conflict: 'rule `api-rule` comes from `clash.yaml` and is read-only here' });
  });

  // A re-review (11-28): the refused version hashed the refusal text, which listed the clashes
  // in PUT order and named the files: the same rules gave another version after a restart
  // (replay order) or a rename, and the log had no entry for it.
  it('a refused tenant\'s version and reason depend on its rules only, not on PUT order or file names', async () => {
    const rule = (id: string) => ({ format: 'json' as const, text: JSON.stringify({ rule_id: id, prohibited: [{ message: 'm', when: `action.type == "${id}"` }] }) });
    const file = (path: string, id: string) => ({ path, text: `rule_id: ${id}\nprohibited:\n  - message: file\n    when: action.type == "f"\n` });
    const refusedWith = async (order: string[], files: Array<{ path: string; text: string }>) => {
      const engine = await createEngine({ rules: FILES });
      for (const id of order) expect((await engine.putRule('acme', rule(id))).ok).toBe(true);
      expect((await engine.reloadFiles([...FILES, ...files])).ok).toBe(true);
      const p = engine.policy('acme');
      expect(p.refusal).toBeDefined();
      return { version: p.policyVersion, reason: (await engine.evaluate({ action: 'z' }, { tenant: 'acme' })).violations[0].message };
    };
    const ab = await refusedWith(['ra', 'rb'], [file('ra.yaml', 'ra'), file('rb.yaml', 'rb')]);
    expect(ab.reason).toContain('API rules `ra`, `rb` have the id of a file rule');
    expect(await refusedWith(['rb', 'ra'], [file('ra.yaml', 'ra'), file('rb.yaml', 'rb')])).toEqual(ab);
    expect(await refusedWith(['ra', 'rb'], [file('tenants/acme/x.yaml', 'ra'), file('y.yaml', 'rb')])).toEqual(ab);
    // Another API rule held out under the same id is another version.
    const engine = await createEngine({ rules: FILES });
    expect((await engine.putRule('acme', { format: 'json', text: JSON.stringify({ rule_id: 'ra', prohibited: [{ message: 'other', when: 'action.type == "q"' }] }) })).ok).toBe(true);
    expect((await engine.putRule('acme', rule('rb'))).ok).toBe(true);
    expect((await engine.reloadFiles([...FILES, file('ra.yaml', 'ra'), file('rb.yaml', 'rb')])).ok).toBe(true);
    expect(engine.policy('acme').policyVersion).not.toBe(ab.version);
  });

  it('a file rule pushing a tenant\'s API rules past a compiler limit reloads; that tenant alone is denied (a re-review)', async () => {
    // 65 530 distinct paths through the API, then a global rule with 8 more: past the 65 535 a
    // bundle holds. Until 11-28 the reload failed for every tenant, and a restart did not start.
    const engine = await createEngine({ rules: FILES });
    const clauses = Array.from({ length: 65_530 }, (_, i) => ({ message: 'm', when: `context.f${i}` }));
    expect((await engine.putRule('acme', { format: 'json', text: JSON.stringify({ rule_id: 'fill', prohibited: clauses }) })).ok).toBe(true);
    const more = { path: 'more.yaml', text: `rule_id: more\nprohibited:\n${Array.from({ length: 8 }, (_, i) => `  - when: action.params.g${i} == 1\n`).join('')}` };
    const r = await engine.reloadFiles([...FILES, more]);
    expect(r.ok).toBe(true);
    expect(engine.refusedTenants()).toEqual([{ tenant: 'acme', refusal: expect.stringContaining("tenant `acme`'s API rules no longer compile beside the file rules (too many distinct paths") }]);
    expect((await engine.evaluate({ action: 'z' }, { tenant: 'acme' })).violations).toEqual([expect.objectContaining({ code: 'rules_refused' })]);
    expect((await engine.evaluate({ action: { type: 'x', params: { g1: 1 } } }, { tenant: 'globex' })).approved).toBe(false); // the new rule serves the others
    // A PUT past the limit is refused, not taken in and refused later.
    const put = await engine.putRule('globex', { format: 'json', text: JSON.stringify({ rule_id: 'fill', prohibited: clauses }) });
    expect(put).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ code: 'compile-error' })] });
    // The way out: fewer API rules.
    expect(await engine.deleteRule('acme', 'fill')).toBe('deleted');
    expect(engine.refusedTenants()).toEqual([]);
  }, 60_000);

  it('reports a file change against the policy it replaced', async () => {
    const engine = await createEngine({ rules: FILES });
    const r = await engine.reloadFiles([...FILES, { path: 'more.yaml', text: 'rule_id: more\nprohibited:\n  - message: m\n    when: "false"\n' }]);
    if (!r.ok) throw new Error('reload refused');
    expect(ruleDiff(r.before('acme').rules, r.after('acme').rules, (x) => engine.isFromApi('acme', x))).toEqual([{ ruleId: 'more', op: 'put' }]);
    expect(r.after('acme').policyVersion).not.toBe(r.before('acme').policyVersion);
  });

  it('runs beforeSwap with the new policies while the old ones still serve, and swaps nothing if it throws', async () => {
    const engine = await createEngine({ rules: FILES });
    const more = [...FILES, { path: 'tenants/acme/more.yaml', text: 'rule_id: more\nprohibited:\n  - message: no x\n    when: action.type == "x"\n' }];
    const seen: string[] = [];
    const r = await engine.reloadFiles(more, async (before, after, tenants) => {
      // The audit entry is written here: a check made meanwhile is still under the old rules.
      seen.push(`${(await engine.evaluate({ action: { type: 'x' } }, { tenant: 'acme' })).approved}`, after('acme').policyVersion, tenants.join());
      expect(before('acme').policyVersion).toBe(engine.policy('acme').policyVersion);
    });
    if (!r.ok) throw new Error('reload refused');
    expect(seen).toEqual(['true', r.after('acme').policyVersion, 'acme']);
    expect((await engine.evaluate({ action: { type: 'x' } }, { tenant: 'acme' })).approved).toBe(false);

    const version = engine.policy('acme').policyVersion;
    await expect(engine.reloadFiles(FILES, async () => { throw new Error('log unavailable'); })).rejects.toThrow('log unavailable');
    expect(engine.policy('acme').policyVersion).toBe(version);
    expect((await engine.evaluate({ action: { type: 'x' } }, { tenant: 'acme' })).approved).toBe(false);
  });

  // A review (11-29): the texts were read when the change's turn came, so one object reused for
  // two putRule calls installed the second rule twice, and a refilled list was what reloaded.
  it('reads rule texts and file lists when called, not when the change runs', async () => {
    const engine = await createEngine({ rules: FILES });
    const text = (id: string, type: string) => JSON.stringify({ rule_id: id, prohibited: [{ message: 'm', when: `action.type == "${type}"` }] });
    const source = { format: 'json' as const, text: text('no-drop', 'db.drop') };
    const first = engine.putRule('acme', source);
    source.text = text('no-wipe', 'db.wipe');
    const second = engine.putRule('acme', source);
    expect(await first).toMatchObject({ ok: true, ruleIds: ['no-drop'] });
    expect(await second).toMatchObject({ ok: true, ruleIds: ['no-wipe'] });
    for (const type of ['db.drop', 'db.wipe']) expect((await engine.evaluate({ action: { type } }, { tenant: 'acme' })).approved, type).toBe(false);

    const files = [...FILES, { path: 'tenants/acme/more.yaml', text: 'rule_id: more\nprohibited:\n  - message: no x\n    when: action.type == "x"\n' }];
    const reload = engine.reloadFiles(files);
    files.length = 1;
    files[0] = { path: 'base.yaml', text: 'rule_id: base\nprohibited: []\n' };
    expect((await reload).ok).toBe(true);
    expect((await engine.evaluate({ action: { type: 'x' } }, { tenant: 'acme' })).approved).toBe(false);
  });
});
