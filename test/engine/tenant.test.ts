// A tenant name is held to one pattern everywhere (API keys, `mge check --tenant`, a library
// caller), so the library cannot decide, sign and log for a tenant no key or flag could name.

import { describe, expect, it } from 'vitest';
import { createEngine, NoRulesError, RequestError } from '../../src/engine/engine.js';
import { MemoryRateLimiter } from '../../src/state/rate-limiter.js';

const RULES = [{ path: 'r.yaml', text: 'rule_id: r\nprohibited:\n  - message: m\n    when: action.type == "x"\n' }];

describe('createEngine: request limits', () => {
  it('refuses a limit it does not know, naming the new name of an old one, and a bad value', async () => {
    await expect(createEngine({ rules: RULES, limits: { maxStringLength: 10 } as never })).rejects.toThrow('unknown request limit `maxStringLength`: it is now `maxStringBytes (UTF-8 bytes)`');
    await expect(createEngine({ rules: RULES, limits: { maxDepth: 0 } })).rejects.toThrow('request limit `maxDepth` must be a positive integer, got `0`');
    await expect(createEngine({ rules: RULES, limits: { toString: 3 } as never })).rejects.toThrow('unknown request limit `toString`');
    // `undefined` keeps a default; it never switches a limit off.
    const open = await createEngine({ rules: RULES, limits: { maxDepth: undefined, maxStringBytes: undefined, maxArrayItems: undefined } });
    await expect(open.evaluate({ action: { type: 'y', s: 'x'.repeat(9000) } })).rejects.toThrow('string longer than 8192 bytes');
    const engine = await createEngine({ rules: RULES, limits: { maxStringBytes: 8 } });
    await expect(engine.evaluate({ action: { type: 'y', s: 'ééééé' } })).rejects.toThrow('string longer than 8 bytes at `request.action.s`');
  });
});

describe('Engine.evaluate: tenant names', () => {
  it('refuses a name no API key could carry', async () => {
    const engine = await createEngine({ rules: RULES });
    for (const tenant of ['', 'Bad Tenant!', '../x', '.hidden', 'a/b', 'x'.repeat(65), 'acme.', 'a..']) {
      await expect(engine.evaluate({ action: 'y' }, { tenant }), tenant).rejects.toThrow(RequestError);
    }
  });

  it('takes no API rule for such a name either (it becomes a directory name in rule stores)', async () => {
    const engine = await createEngine({ rules: RULES });
    const rule = { format: 'yaml' as const, text: 'rule_id: t\nprohibited: [{when: "true"}]\n' };
    await expect(engine.putRule('../x', rule)).rejects.toThrow('invalid tenant name `../x`');
    await expect(engine.deleteRule('a/b', 't')).rejects.toThrow('invalid tenant name `a/b`');
    expect(engine.tenants()).toEqual([]);
  });

  // A review (11-27): a number passed the pattern as its text, found no policy of that name
  // and was approved by the baseline alone, past the tenant's own deny rule.
  it('refuses a name that is not a string, also one whose text fits the pattern', async () => {
    const engine = await createEngine({ rules: [...RULES, { path: 'tenants/123/deny.yaml', text: 'rule_id: t-deny\nprohibited: [{message: m, when: \'action.type == "db.write"\'}]\n' }] });
    expect((await engine.evaluate({ action: 'db.write' }, { tenant: '123' })).approved).toBe(false);
    for (const tenant of [123, [123], { toString: () => '123' }, null]) {
      await expect(engine.evaluate({ action: 'db.write' }, { tenant: tenant as never }), String(tenant)).rejects.toThrow(/^invalid tenant name: not a string \(got (number|a list|object|null)\)$/);
      await expect(engine.putRule(tenant as never, { format: 'yaml', text: 'rule_id: t\nprohibited: [{when: "true"}]\n' })).rejects.toThrow(RequestError);
    }
  });

  it('decides for any name that fits the pattern', async () => {
    const engine = await createEngine({ rules: RULES });
    for (const tenant of ['acme', 'a.b-c_1', '0', 'x'.repeat(64)]) {
      expect((await engine.evaluate({ action: 'y' }, { tenant })).tenant).toBe(tenant);
    }
  });
});

// A review (11-27) of the library from plain JavaScript: a misspelt option was silently
// ignored (`ratelimiter:` left a shared store unused), bad ones gave raw errors or a bug report.
describe('createEngine: options checked', () => {
  it('refuses an unknown option, naming the one meant, and options not of their type', async () => {
    const take = () => true;
    await expect(createEngine({ rules: RULES, ratelimiter: { take } } as never)).rejects.toThrow('unknown engine option `ratelimiter`: did you mean `rateLimiter`?');
    await expect(createEngine({ rules: RULES, evaluator: 'bogus' } as never)).rejects.toThrow('engine option `evaluator` must be `vm` or `oracle`, got `bogus`');
    await expect(createEngine({ rules: RULES, rateLimiter: {} } as never)).rejects.toThrow('engine option `rateLimiter` must have a `take(');
    await expect(createEngine({ rules: RULES, now: 5 } as never)).rejects.toThrow('engine option `now` must be a function');
    await expect(createEngine({} as never)).rejects.toThrow('engine option `rules` must be a list');
    await expect(createEngine({ rules: [{ path: 'a.yaml' }] } as never)).rejects.toThrow('engine option `rules[0]` must be `{ path: string, text: string }`');
    await expect(createEngine(undefined as never)).rejects.toThrow('createEngine takes an options object');
    // The review of these checks: raw errors for these.
    await expect(createEngine({ rules: RULES, limits: null } as never)).rejects.toThrow('engine option `limits` must be an object');
    await expect(createEngine({ rules: RULES, crypto: {} } as never)).rejects.toThrow('engine option `crypto` must be a crypto backend');
    await expect(createEngine({ rules: RULES, wasm: 42 } as never)).rejects.toThrow('engine option `wasm` must be a compiled WebAssembly.Module');
    await expect(createEngine({ rules: RULES, sourceWarnings: [1] } as never)).rejects.toThrow('engine option `sourceWarnings` must be a list of diagnostics');
    expect(await createEngine({ rules: RULES, rateLimiter: { take } })).toBeDefined();
  });

  // A review (11-29): the core approved every check of an engine made from no rule source, where
  // createEngineFromDir, the standalone app and `mge serve` refuse one.
  it('refuses an empty rules list (every check would be approved), unless allowNoRules says rules come later', async () => {
    await expect(createEngine({ rules: [] })).rejects.toThrow(NoRulesError);
    await expect(createEngine({ rules: [] })).rejects.toThrow('no rule source given (a bundle built without its rules, a fetch that came back empty?): every check would be approved');
    await expect(createEngine({ rules: [], allowNoRules: 'yes' } as never)).rejects.toThrow('engine option `allowNoRules` must be a boolean');
    const later = await createEngine({ rules: [], allowNoRules: true });
    expect((await later.putRule('default', { text: 'rule_id: r\nprohibited:\n  - message: no x\n    when: action.type == "x"\n', format: 'yaml' })).ok).toBe(true);
    expect((await later.evaluate({ action: 'x' })).approved).toBe(false);
    // A source that says it holds no rule is a decision to decide against none.
    expect((await (await createEngine({ rules: [{ path: 'none.yaml', text: 'rules: []\n' }] })).evaluate({ action: 'x' })).approved).toBe(true);
  });

  it('evaluate refuses an option it does not know, and options that are not an object', async () => {
    const engine = await createEngine({ rules: RULES });
    // A review (11-27): each was judged as tenant `default`.
    await expect(engine.evaluate({ action: 'x' }, { tennant: 'acme' } as never)).rejects.toThrow('unknown evaluate option `tennant` (the options are tenant, explain)');
    await expect(engine.evaluate({ action: 'x' }, 'acme' as never)).rejects.toThrow('evaluate takes options `{ tenant?, explain? }`');
    await expect(engine.evaluate({ action: 'x' }, { explain: 'no' } as never)).rejects.toThrow('evaluate option `explain` must be true or false, got `no`');
    expect((await engine.evaluate({ action: 'x' }, { tenant: undefined, explain: false })).tenant).toBe('default');
  });

  it('a clock that gives no time is a TypeError naming it, never a decision', async () => {
    // 1.76e15 is a microsecond clock: year 57741, `+057741-…`, which compares below "2026" as text.
    for (const [now, got] of [[() => NaN, 'NaN'], [() => 1e20, '100000000000000000000'], [() => 1.76e15, '1760000000000000'], [async () => Date.now(), 'no number (object)']] as const) {
      const engine = await createEngine({ rules: RULES, now: now as () => number });
      await expect(engine.evaluate({ action: 'x' })).rejects.toThrow(`the engine's clock (option \`now\`) gave ${got}, not milliseconds since the epoch`);
    }
  });

  it('reads a fractional clock as whole milliseconds (a review: its ids held a `.` and did not sort by time)', async () => {
    const at = Date.now() + 5000; // ahead of the ids made so far in this process (one sequence)
    const engine = await createEngine({ rules: RULES, now: () => at + 0.875 });
    const d = await engine.evaluate({ action: 'x' });
    expect(d.decision_id).toMatch(new RegExp(`^dec-${at.toString(16).padStart(12, '0')}[0-9a-f]{16}$`));
    expect(d.timestamp).toBe(new Date(at).toISOString());
  });

  it('refuses a rule format it does not read, and a bucket cap that is no positive integer', async () => {
    const engine = await createEngine({ rules: RULES });
    await expect(engine.putRule('acme', { format: 'YAML' as never, text: 'rule_id: t\nprohibited: [{when: "true"}]\n' })).rejects.toThrow('a rule\'s format is `json`, `yaml`, `mdc`; got `YAML`');
    await expect(engine.putRule('acme', { format: 'yaml', text: 123 as never })).rejects.toThrow('a rule\'s text must be a string; got number');
    for (const cap of [NaN, 0, -1, 1.5, 'x']) expect(() => new MemoryRateLimiter(cap as number), String(cap)).toThrow('MemoryRateLimiter\'s bucket cap must be a positive integer');
  });
});
