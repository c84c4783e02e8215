import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_REQUEST_LIMITS, RequestError, validateRequest } from '../../src/engine/request.js';
import { JsonInputError, parseStrictJson } from '../../src/json/strict-parse.js';
import { actionText } from '../../src/receipt/decision-hash.js';

function reason(value: unknown): string {
  try {
    validateRequest(value);
  } catch (err) {
    if (err instanceof RequestError) return err.detail;
    throw err;
  }
  return 'accepted';
}

describe('validateRequest (SPEC §2)', () => {
  it('expands the string-action shorthand but keeps the raw action for hashing', () => {
    const v = validateRequest({ action: 'db.write' });
    expect(v.request.action).toEqual({ type: 'db.write' });
    expect(v.request.context).toEqual({});
    expect(v.rawAction).toBe('db.write');
    expect(v.rawContext).toEqual({}); // as hashed: an absent context is `{}`
  });

  it('keeps audience and context', () => {
    const v = validateRequest({ action: { type: 'a' }, context: { x: 1 }, audience: 'exec-1' });
    expect(v.request).toEqual({ action: { type: 'a' }, context: { x: 1 }, audience: 'exec-1' });
  });

  it('rejects every malformed shape with its own message', () => {
    expect(reason(null)).toBe('the request must be a JSON object');
    expect(reason([])).toBe('the request must be a JSON object');
    expect(reason({ action: 'a', extra: 1 })).toBe(
      'unknown top-level field `extra`; a request has `action`, `context` and `audience`',
    );
    expect(reason({})).toBe('`action` must be an object with a string `type`, or a string');
    expect(reason({ action: { type: 3 } })).toBe('`action.type` must be a string');
    expect(reason({ action: 'a', context: [] })).toBe('`context` must be an object');
    expect(reason({ action: 'a', audience: 7 })).toBe('`audience` must be a non-empty string: the id of the executor the receipt is for');
    expect(reason({ action: 'a', audience: '' })).toBe('`audience` must be a non-empty string: the id of the executor the receipt is for');
  });

  it('enforces the limits and refuses values two parties could read differently', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(reason({ action: 'a', context: { deep } })).toMatch(/^nesting deeper than 32 at/);
    expect(reason({ action: 'a', context: { s: 'x'.repeat(8 * 1024 + 1) } })).toBe(
      'string longer than 8192 bytes at `request.context.s`',
    );
    expect(reason({ action: 'a', context: { l: new Array(1025).fill(0) } })).toBe(
      'array longer than 1024 items at `request.context.l`',
    );
    expect(reason({ action: 'a', context: { n: 2 ** 53 } })).toMatch(/^integer outside ±\(2\^53−1\) at `request.context.n`/);
    expect(reason({ action: 'a', context: { s: 'a\ud800b' } })).toBe('lone UTF-16 surrogate in a string at `request.context.s`');
    expect(reason({ action: 'a', context: { f: () => 1 } })).toBe('a value that is not JSON at `request.context.f`');
    expect(reason({ action: 'a', context: { d: new Date(0) } })).toBe('a value that is not JSON at `request.context.d`');
    expect(reason({ action: 'a', context: { n: Number.NaN } })).toBe('non-finite number at `request.context.n`');
  });

  it('refuses bad keys and non-JSON leaves as well (the fast walk must never accept them)', () => {
    expect(reason({ action: 'a', context: { ['k\udc00']: 1 } })).toBe('lone UTF-16 surrogate in a string at `request.context`');
    expect(reason({ action: 'a', context: { ['k'.repeat(8193)]: 1 } })).toBe('string longer than 8192 bytes at `request.context`');
    expect(reason({ action: 'a', context: { u: undefined } })).toBe('an undefined value (JSON has none: leave the member out) at `request.context.u`');
    expect(reason({ action: 'a', context: { b: 1n } })).toBe('a value that is not JSON at `request.context.b`');
    expect(reason({ action: 'a', context: { l: [1, [Symbol('s')]] } })).toBe('a value that is not JSON at `request.context.l[1][0]`');
    expect(reason({ action: { type: 'a', m: new Map() } })).toBe('a value that is not JSON at `request.action.m`');
  });

  it('accepts the boundaries themselves', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 30; i++) deep = { d: deep };
    expect(reason({ action: 'a', context: { deep, s: 'x'.repeat(8192), l: new Array(1024).fill(0), n: 2 ** 53 - 1 } })).toBe('accepted');
  });

  it('counts as the strict parser does: containers by level, strings in UTF-8 bytes', () => {
    const nested = (n: number): unknown => (n === 0 ? [] : [nested(n - 1)]);
    // request (level 1) > context (2) > 30 or 31 arrays: the innermost, empty, at 32 or 33
    expect(reason({ action: 'a', context: { v: nested(29) } })).toBe('accepted');
    expect(reason({ action: 'a', context: { v: nested(30) } })).toMatch(/^nesting deeper than 32 at `request\.context\.v(\[0\]){30}`$/);
    expect(reason({ action: 'a', context: { v: '€'.repeat(2730) } })).toBe('accepted'); // 8 190 bytes
    expect(reason({ action: 'a', context: { v: '€'.repeat(2731) } })).toBe('string longer than 8192 bytes at `request.context.v`');
    expect(reason({ action: 'a', context: { ['€'.repeat(2731)]: 1 } })).toBe('string longer than 8192 bytes at `request.context`');
  });

  it('does not count the absent context\'s `{}` against maxDepth (at 1 it was "nested too deeply")', () => {
    const one = { ...DEFAULT_REQUEST_LIMITS, maxDepth: 1 };
    expect(validateRequest({ action: 'db.read' }, one).actionText).toBe('{"action":"db.read","context":{}}');
    expect(() => validateRequest({ action: 'db.read', context: {} }, one)).toThrow('nesting deeper than 1 at `request.context`');
    expect(() => validateRequest({ action: { type: 'db.read' } }, one)).toThrow('nesting deeper than 1 at `request.action`');
  });

  it('accepts exactly what the strict parser accepts in the same request as text', () => {
    const small = { maxDepth: 5, maxStringBytes: 7, maxArrayItems: 3 };
    const parserLimits = { ...small, maxBytes: 1 << 20 };
    // The parser lets `1e21` by (a float to every parser); only validateRequest refuses a whole
    // number past ±(2^53−1) however written, and HTTP runs both: leave those out here.
    const unsafeWhole = (v: unknown): boolean =>
      typeof v === 'number' ? Number.isInteger(v) && !Number.isSafeInteger(v)
        : typeof v === 'object' && v !== null && Object.values(v).some(unsafeWhole);
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 }), (v, s) => {
      fc.pre(!unsafeWhole(v));
      const text = JSON.stringify({ action: { type: 'a', v }, context: { [s]: s } });
      let parsed: boolean;
      try {
        parseStrictJson(text, parserLimits);
        parsed = true;
      } catch (err) {
        if (!(err instanceof JsonInputError)) throw err;
        parsed = false;
      }
      let validated: boolean;
      try {
        validateRequest(JSON.parse(text), small);
        validated = true;
      } catch (err) {
        if (!(err instanceof RequestError)) throw err;
        validated = false;
      }
      expect(validated).toBe(parsed);
    }), { numRuns: 3000 });
  });

  it('treats __proto__ as plain data', () => {
    const context = JSON.parse('{"__proto__": {"admin": true}}');
    const v = validateRequest({ action: 'a', context });
    expect(Object.keys(v.request.context)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });
});

describe('validateRequest: one walk checks and writes the action_hash text', () => {
  const limits = { maxDepth: 4, maxStringBytes: 6, maxArrayItems: 3 };
  const bytes = (s: string) => new TextEncoder().encode(s).length;

  /**
   * What SPEC §2 accepts, written independently of the walk under test: `depth` containers
   * hold v, and a container is refused past level maxDepth (the request is level 1).
   */
  function acceptable(v: unknown, depth: number): boolean {
    switch (typeof v) {
      case 'string':
        return v.isWellFormed() && bytes(v) <= limits.maxStringBytes;
      case 'number':
        return Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v));
      case 'boolean':
        return true;
      case 'object': {
        if (v === null) return true;
        if (depth + 1 > limits.maxDepth) return false;
        if (Array.isArray(v)) {
          if (v.length > limits.maxArrayItems) return false;
          for (let i = 0; i < v.length; i++) if (!acceptable(v[i], depth + 1)) return false;
          return true;
        }
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) return false;
        return Object.keys(v).every((k) => k.isWellFormed() && bytes(k) <= limits.maxStringBytes && acceptable((v as Record<string, unknown>)[k], depth + 1));
      }
      default:
        return false;
    }
  }

  const value = fc.anything({
    maxDepth: 5, withBigInt: true, withNullPrototype: true, withBoxedValues: true, withMap: true, withDate: true,
    withSparseArray: true, withTypedArray: true, withUnicodeString: true,
    stringUnit: 'binary',
  });
  const numbers = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 53 - 1, -0, 1e300));

  it('accepts exactly what SPEC §2 accepts, says where it refused, and writes C({action, context})', () => {
    fc.assert(fc.property(fc.oneof(value, fc.dictionary(fc.string(), fc.oneof(value, numbers))), fc.oneof(value, fc.constant(undefined)), (ctx, extra) => {
      const request: Record<string, unknown> = { action: { type: 'a', extra }, context: ctx };
      // An undefined context is an absent one (as in JSON); an undefined member below is refused.
      const expected = (ctx === undefined || (isPlainRecord(ctx) && acceptable(ctx, 1))) && acceptable(request.action, 1) && extra !== undefined;
      let outcome: string;
      try {
        const v = validateRequest(request, limits);
        expect(v.actionText).toBe(actionText(v.rawAction, v.rawContext));
        outcome = 'accepted';
      } catch (err) {
        if (!(err instanceof RequestError)) throw err;
        outcome = err.detail;
      }
      if (expected) expect(outcome).toBe('accepted');
      else {
        expect(outcome).not.toBe('accepted');
        // Refused by the value walk (located), or by the shape checks that follow it.
        expect(outcome).toMatch(/ at `request|^`context` must be an object$/);
      }
    }), { numRuns: 3000 });
  });
});

function isPlainRecord(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

// A review (11-27): `limits.maxDepth` above what the VM's encoder reads let the VM deny (an
// internal error) what the oracle approved, and at 20 000 the canonical writer overflowed the
// stack with a raw RangeError.
describe('limits.maxDepth', () => {
  const rules = [{ path: 'r.yaml', text: 'rule_id: r\nrequired:\n  - message: m\n    check: len(action.l) >= 0\n' }];
  const deep = (n: number): unknown => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };

  it('is at most the depth the VM reads, and there the VM and the oracle agree', async () => {
    const { createEngine } = await import('../../src/engine/engine.js');
    await expect(createEngine({ rules, limits: { maxDepth: 129 } })).rejects.toThrow('request limit `maxDepth` is at most 128');
    // The request is level 1, `action` 2, `action.l` 3: 126 arrays there reach level 128.
    const request = { action: { type: 'x', l: deep(126) } };
    for (const evaluator of ['vm', 'oracle'] as const) {
      const engine = await createEngine({ rules, evaluator, limits: { maxDepth: 128 } });
      expect((await engine.evaluate(request)).approved, evaluator).toBe(true);
      await expect(engine.evaluate({ action: { type: 'x', l: deep(127) } }), evaluator).rejects.toThrow(/nesting deeper than 128/);
    }
  });
});

// A review (11-27): the request was read three times (hashed, checked, evaluated). An object
// whose getter answered `db.drop` first and `api.call` after was hashed as the drop and
// evaluated as the call: approved, with a receipt binding the drop.
describe('a request is read once', () => {
  const rules = [{ path: 'r.yaml', text: 'rule_id: no-drop\nprohibited:\n  - message: no drops\n    when: action.type == "db.drop"\n' }];
  /** A value that answers `first` on its first read and `later` on every other. */
  const changing = (first: string, later: string) => {
    let reads = 0;
    return { get type() { return reads++ === 0 ? first : later; } };
  };

  it('decides the action it hashes, whatever getters or proxies answer later', async () => {
    const { createEngine } = await import('../../src/engine/engine.js');
    const { computeActionHash } = await import('../../src/receipt/decision-hash.js');
    const engine = await createEngine({ rules });
    const drop = await engine.evaluate({ action: { type: 'db.drop' } });
    expect(drop.approved).toBe(false);

    const viaGetter = await engine.evaluate({ action: changing('db.drop', 'api.call') });
    expect(viaGetter.approved).toBe(false);
    expect(viaGetter.action_hash).toBe(drop.action_hash);

    let reads = 0;
    const proxy = new Proxy({ action: { type: 'api.call' } }, {
      get: (target, key) => (key === 'action' && reads++ > 0 ? { type: 'db.drop' } : Reflect.get(target, key)),
    });
    const viaProxy = await engine.evaluate(proxy);
    expect(viaProxy.approved).toBe(true);
    expect(viaProxy.action_hash).toBe(await computeActionHash({ type: 'api.call' }, undefined));

    // Every later read of a getter: the request as first read is what is checked and hashed.
    let contextReads = 0;
    const context = { get agent() { return contextReads++ === 0 ? 'a' : 'b'; } };
    const v = validateRequest({ action: 'x', context });
    expect(v.request.context).toEqual({ agent: 'a' });
    expect(v.actionText).toBe('{"action":"x","context":{"agent":"a"}}');
  });

  it('refuses a request whose getter or proxy throws as a RequestError, naming the cause', async () => {
    const { createEngine, RequestError } = await import('../../src/engine/engine.js');
    const engine = await createEngine({ rules });
    const throwing = { action: { type: 'x', get n(): never { throw new Error('boom'); } } };
    const err = await engine.evaluate(throwing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as Error).message).toBe('the request could not be read: boom');
    const trap = new Proxy({}, { ownKeys: () => { throw new TypeError('no keys'); } });
    expect(() => validateRequest(trap)).toThrow(RequestError);
    // A thrown value that cannot be shown either (a re-review, 11-28).
    const bare = new Proxy({}, { ownKeys: () => { throw Object.create(null); } });
    expect(() => validateRequest(bare)).toThrow('the request could not be read: it threw a value that cannot be shown');
  });

  it('still refuses a null context (an absent one is `{}`)', () => {
    expect(reason({ action: 'x', context: null })).toBe('`context` must be an object');
    expect(validateRequest({ action: 'x' }).request.context).toEqual({});
  });

  it('reads an undefined context or audience as absent, as JSON and the SDK do, and hashes it so', () => {
    // `{ action, context: opts.context }` was refused in process alone (a review, 11-29).
    const absent = validateRequest({ action: 'x' });
    const undef = validateRequest({ action: 'x', context: undefined, audience: undefined });
    expect(undef).toEqual(absent);
    expect(undef.request).not.toHaveProperty('audience');
    expect(reason({ action: undefined })).toBe('`action` must be an object with a string `type`, or a string');
  });
});
