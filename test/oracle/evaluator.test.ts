import { describe, expect, it } from 'vitest';
import { createOracleEvaluator } from '../../src/ir/evaluate.js';
import type { CheckRequest, Condition, Rule } from '../../src/ir/types.js';
import { ENV, SPAN, request, rule, src } from './helpers.js';

function run(rules: Rule[], req: CheckRequest) {
  return createOracleEvaluator(rules).evaluate(req, ENV);
}

const deny = (id: string, when: string, message = `no ${id}`): Rule =>
  rule({ rule_id: id, prohibited: [{ message, when: src(when), span: SPAN }] });

describe('applicability', () => {
  const write = request({ type: 'db.write', path: 'src/app/main.ts' });

  it('applies an unscoped rule to every request, never a disabled one', () => {
    expect(run([deny('a', 'true')], write).applicable).toEqual(['a']);
    expect(run([{ ...deny('a', 'true'), enabled: false }], write)).toEqual({ applicable: [], violated: [] });
    expect(run([{ ...deny('a', 'true'), alwaysApply: false }], write).applicable).toEqual([]);
  });

  it('matches applies_to.actions as action-type globs', () => {
    const scoped = (actions: string[]) => ({ ...deny('a', 'true'), applies_to: { actions } });
    expect(run([scoped(['db.*'])], write).applicable).toEqual(['a']);
    expect(run([scoped(['db.*'])], request({ type: 'db.admin.drop' })).applicable).toEqual(['a']);
    expect(run([scoped(['api.*', 'db.write'])], write).applicable).toEqual(['a']);
    expect(run([scoped(['api.*'])], write).applicable).toEqual([]);
    expect(run([scoped([])], write).applicable).toEqual([]);
  });

  it('matches globs against the normalized action.path', () => {
    const scoped = (globs: string[]) => ({ ...deny('a', 'true'), globs });
    expect(run([scoped(['src/**/*.ts'])], write).applicable).toEqual(['a']);
    expect(run([scoped(['src/**/*.ts'])], request({ type: 'x', path: 'src\\.\\app\\\\main.ts' })).applicable).toEqual(['a']);
    expect(run([scoped(['docs/**'])], write).applicable).toEqual([]);
    // Missing or null path: no match. Not a string, or not normalizable: counts as matching.
    expect(run([scoped(['**'])], request({ type: 'x' })).applicable).toEqual([]);
    expect(run([scoped(['**'])], request({ type: 'x', path: null })).applicable).toEqual([]);
    expect(run([scoped(['docs/**'])], request({ type: 'x', path: 7 })).applicable).toEqual(['a']);
    expect(run([scoped(['docs/**'])], request({ type: 'x', path: ['docs/a'] })).applicable).toEqual(['a']);
    expect(run([scoped(['docs/**'])], request({ type: 'x', path: '../etc/passwd' })).applicable).toEqual(['a']);
    expect(run([scoped(['docs/**'])], request({ type: 'x', path: 'a\u0000' })).applicable).toEqual(['a']);
  });

  it('needs every given scope part to match', () => {
    const r = { ...deny('a', 'true'), applies_to: { actions: ['db.*'] }, globs: ['docs/**'] };
    expect(run([r], write).applicable).toEqual([]);
    const r2 = { ...deny('a', 'true'), applies_to: { actions: ['db.*'], when: src('context.environment == "production"') } };
    expect(run([r2], request({ type: 'db.write' }, { environment: 'production' })).applicable).toEqual(['a']);
    expect(run([r2], request({ type: 'db.write' }, { environment: 'staging' })).applicable).toEqual([]);
    expect(run([r2], request({ type: 'api.get' }, { environment: 'production' })).applicable).toEqual([]);
  });

  it('lets alwaysApply override the scope', () => {
    const r = { ...deny('a', 'true'), alwaysApply: true, applies_to: { actions: ['api.*'], when: src('1 / 0 == 1') } };
    expect(run([r], write)).toEqual({ applicable: ['a'], violated: [{ rule_id: 'a', clause: 'prohibited[0]', code: 'prohibited', message: 'no a' }] });
  });

  it('applies a rule whose applies_to.when fails, with an eval_error on that clause', () => {
    const r = { ...deny('a', 'false'), applies_to: { when: src('context.tier > 2') } };
    expect(run([r], write)).toEqual({
      applicable: ['a'],
      violated: [{ rule_id: 'a', clause: 'applies_to.when', code: 'eval_error',
        message: 'evaluation error: `>` expects two numbers or two strings, got null and number' }],
    });
    const notBool = { ...deny('a', 'false'), applies_to: { when: src('context.tier') } };
    expect(run([notBool], request({ type: 'x' }, { tier: 'gold' })).violated).toEqual([
      { rule_id: 'a', clause: 'applies_to.when', code: 'eval_error', message: 'evaluation error: expected a boolean result, got string' },
    ]);
    // The scope's other parts still decide first.
    const scoped = { ...r, applies_to: { actions: ['api.*'], when: src('context.tier > 2') } };
    expect(run([scoped], write)).toEqual({ applicable: [], violated: [] });
  });
});

describe('prohibited and required clauses', () => {
  const req = request({ type: 'db.write' }, { environment: 'production', connection: { tls: false } });

  it('violate prohibited when true and required when false, with the clause message', () => {
    const r = rule({
      rule_id: 'db-access',
      prohibited: [
        { message: 'Direct database modifications in production', when: src('action.type == "db.write" && context.environment == "production"'), span: SPAN },
        { message: 'never', when: src('false'), span: SPAN },
      ],
      required: [
        { message: 'Connections must use TLS', check: src('context.connection.tls == true'), span: SPAN },
        { message: 'fine', check: src('true'), span: SPAN },
      ],
    });
    expect(run([r], req).violated).toEqual([
      { rule_id: 'db-access', clause: 'prohibited[0]', code: 'prohibited', message: 'Direct database modifications in production' },
      { rule_id: 'db-access', clause: 'required[0]', code: 'required', message: 'Connections must use TLS' },
    ]);
  });

  it('violate on evaluation errors and non-boolean results (fail closed)', () => {
    const r = rule({
      rule_id: 'r',
      prohibited: [{ message: 'p', when: src('context.flag'), span: SPAN }],
      required: [{ message: 'q', check: src('len(context.missing) > 0'), span: SPAN }],
    });
    expect(run([r], req).violated).toEqual([
      { rule_id: 'r', clause: 'prohibited[0]', code: 'eval_error', message: 'evaluation error: expected a boolean result, got null' },
      { rule_id: 'r', clause: 'required[0]', code: 'eval_error', message: 'evaluation error: `len` expects a string or a list, got null' },
    ]);
  });

  it('evaluates every applicable rule, no short-circuit across rules', () => {
    const out = run([deny('b', 'true'), deny('a', 'true'), rule({ rule_id: 'c', required: [{ message: 'ok', check: src('true'), span: SPAN }] })], req);
    expect(out.applicable).toEqual(['b', 'a', 'c']);
    expect(out.violated.map((v) => v.rule_id)).toEqual(['b', 'a']);
  });
});

describe('typed conditions', () => {
  const cond = (c: Condition) => rule({ rule_id: 'c', conditions: [c] });
  const check = (c: Condition, req: CheckRequest) => run([cond(c)], req).violated.map(({ code, message }) => ({ code, message }));

  it('expression: violated when not true, with its message or a default', () => {
    const withMessage: Condition = { type: 'expression', expr: src('action.amount <= 100'), message: 'amount over limit', span: SPAN };
    const plain: Condition = { type: 'expression', expr: src('action.amount <= 100'), span: SPAN };
    expect(check(withMessage, request({ type: 'pay', amount: 500 }))).toEqual([{ code: 'expression', message: 'amount over limit' }]);
    expect(check(plain, request({ type: 'pay', amount: 500 }))).toEqual([{ code: 'expression', message: 'expression `action.amount <= 100` is not true' }]);
    expect(check(plain, request({ type: 'pay', amount: 5 }))).toEqual([]);
    expect(check(plain, request({ type: 'pay' }))).toEqual([
      { code: 'eval_error', message: 'evaluation error: `<=` expects two numbers or two strings, got null and number' },
    ]);
  });

  it('encryption_required: algorithm first, then key age', () => {
    const enc: Condition = {
      type: 'encryption_required', algorithms: ['AES-256-GCM', 'ChaCha20-Poly1305'], key_rotation_days: 90,
      field: { root: 'context', segments: ['encryption'] }, span: SPAN,
    };
    const ctx = (encryption: object) => request({ type: 'x' }, { encryption: encryption as never });
    expect(check(enc, ctx({ algorithm: 'AES-256-GCM', key_age_days: 30 }))).toEqual([]);
    expect(check(enc, ctx({ algorithm: 'AES-256-GCM', key_age_days: 90 }))).toEqual([]);
    expect(check(enc, ctx({ algorithm: 'DES', key_age_days: 500 }))).toEqual([
      { code: 'encryption_algorithm', message: 'encryption algorithm `DES` is not one of `AES-256-GCM`, `ChaCha20-Poly1305`' },
    ]);
    expect(check(enc, ctx({ algorithm: 'aes-256-gcm' }))[0].code).toBe('encryption_algorithm');
    expect(check(enc, request({ type: 'x' }))).toEqual([
      { code: 'encryption_algorithm', message: 'encryption algorithm `context.encryption.algorithm` is missing or not a string (expected one of `AES-256-GCM`, `ChaCha20-Poly1305`)' },
    ]);
    expect(check(enc, ctx({ algorithm: 'AES-256-GCM', key_age_days: 91 }))).toEqual([
      { code: 'encryption_key_age', message: 'encryption key is 91 days old; keys must rotate within 90 days' },
    ]);
    expect(check(enc, ctx({ algorithm: 'AES-256-GCM', key_age_days: '10' }))).toEqual([
      { code: 'encryption_key_age', message: 'encryption key age `context.encryption.key_age_days` is missing or not a number (keys must rotate within 90 days)' },
    ]);
    const noRotation: Condition = { ...enc, key_rotation_days: undefined };
    expect(check(noRotation, ctx({ algorithm: 'AES-256-GCM' }))).toEqual([]);
  });

  it('file_access_control: invalid path, then allowed paths, then blocked extensions', () => {
    const fac: Condition = {
      type: 'file_access_control', allowed_paths: ['src/**', 'docs/*.md'], blocked_extensions: ['.exe', '.sh'],
      field: { root: 'action', segments: ['path'] }, span: SPAN,
    };
    const at = (path: unknown) => request({ type: 'file.write', ...(path === undefined ? {} : { path: path as string }) });
    expect(check(fac, at('src/app/main.ts'))).toEqual([]);
    expect(check(fac, at('./src//app/../main.ts'))).toEqual([]);
    expect(check(fac, at('docs/readme.md'))).toEqual([]);
    expect(check(fac, at(undefined))).toEqual([{ code: 'path_invalid', message: 'path `action.path` is missing or not a string' }]);
    expect(check(fac, at(42))).toEqual([{ code: 'path_invalid', message: 'path `action.path` is missing or not a string' }]);
    expect(check(fac, at('src/../../etc/passwd'))).toEqual([{ code: 'path_invalid', message: 'path `src/../../etc/passwd` escapes its root' }]);
    expect(check(fac, at('src/a\u0000.ts'))).toEqual([{ code: 'path_invalid', message: 'path `action.path` contains a control character' }]);
    expect(check(fac, at('etc//passwd'))).toEqual([
      { code: 'path_not_allowed', message: 'path `etc/passwd` matches no allowed path (`src/**`, `docs/*.md`)' },
    ]);
    expect(check(fac, at('docs/sub/readme.md'))[0].code).toBe('path_not_allowed');
    expect(check(fac, at('src\\bin\\run.EXE. '))).toEqual([{ code: 'extension_blocked', message: 'extension `.exe` of `src/bin/run.EXE. ` is blocked' }]);
    expect(check(fac, at('src/deploy.sh'))).toEqual([{ code: 'extension_blocked', message: 'extension `.sh` of `src/deploy.sh` is blocked' }]);
    const onlyBlocked: Condition = { type: 'file_access_control', blocked_extensions: ['.env'], field: { root: 'context', segments: ['file'] }, span: SPAN };
    expect(check(onlyBlocked, request({ type: 'x' }, { file: '/etc/app/.ENV' }))).toEqual([
      { code: 'extension_blocked', message: 'extension `.env` of `/etc/app/.ENV` is blocked' },
    ]);
    expect(check(onlyBlocked, request({ type: 'x' }, { file: '/anything/goes.txt' }))).toEqual([]);
  });

  it('rate_limit_check is left to the host', () => {
    const rl: Condition = { type: 'rate_limit_check', requests_per_minute: 1, burst_limit: 1, key: src('context.agent_id'), span: SPAN };
    const ev = createOracleEvaluator([cond(rl)]);
    const req = request({ type: 'x' }, { agent_id: 'a' });
    expect(ev.evaluate(req, ENV)).toEqual({ applicable: ['c'], violated: [] });
    expect(ev.evaluate(req, ENV)).toEqual({ applicable: ['c'], violated: [] });
  });

  it('numbers clauses by their index in each list', () => {
    const r = rule({
      rule_id: 'many',
      conditions: [
        { type: 'expression', expr: src('true'), span: SPAN },
        { type: 'expression', expr: src('false'), message: 'second', span: SPAN },
      ],
      prohibited: [{ message: 'p0', when: src('false'), span: SPAN }, { message: 'p1', when: src('true'), span: SPAN }],
    });
    expect(run([r], request({ type: 'x' })).violated.map((v) => v.clause)).toEqual(['conditions[1]', 'prohibited[1]']);
  });
});

describe('the Evaluator interface', () => {
  it('exposes its rules', () => {
    const rules = [deny('a', 'true')];
    expect(createOracleEvaluator(rules).rules).toBe(rules);
  });
});
