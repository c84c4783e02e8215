// The decision writer (src/receipt/decision-text.ts) against the generic RFC 8785 writer: the
// same text, or the same refusal, for decisions of the known shape and for everything near it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import type { Json } from '../../src/ir/types.js';
import { signedBody } from './fixtures.js';
import { decisionText, hasKnownShape, joinDecisionText } from '../../src/receipt/decision-text.js';
import { CanonicalizationError, canonicalize } from '../../src/receipt/jcs.js';
import { createSigner } from '../../src/receipt/sign.js';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { auditLine } from '../../src/audit/log.js';
import type { Decision } from '../../src/ir/types.js';

// Strings that need escaping, lone surrogates (refused) and ordinary text.
const str = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', '"', '\\', '\u0000', '\u001f', '\u007f', '\u2028', 'é', '😀', '\ud800', 'a\udc00b'),
);
const json = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
// Now and then a value of the wrong type, so the writer must hand over to the generic one.
const orOdd = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: a }, { weight: 1, arbitrary: json as fc.Arbitrary<unknown> });

const violationMembers = { clause: orOdd(str), code: orOdd(str), effect: orOdd(str), message: orOdd(str), rule_id: orOdd(str), severity: orOdd(str) };
// Mostly the engine's shape; sometimes members missing or one more.
const violation = fc.oneof(
  { weight: 4, arbitrary: fc.record(violationMembers) },
  { weight: 1, arbitrary: fc.record({ ...violationMembers, extra: json }, { requiredKeys: [] }) },
);
const decision = fc.record(
  {
    decision_id: orOdd(str), approved: orOdd(fc.boolean()), reasoning: orOdd(str), rule_ids: orOdd(fc.array(orOdd(str), { maxLength: 3 })),
    violations: orOdd(fc.array(violation, { maxLength: 3 })), warnings: orOdd(fc.array(violation, { maxLength: 2 })),
    tenant: orOdd(str), policy_version: orOdd(str), timestamp: orOdd(str), action_hash: orOdd(str),
    audience: orOdd(str), explanation: json, receipt: json, other: json, zzz: json,
  },
  { requiredKeys: ['decision_id', 'approved', 'reasoning', 'rule_ids', 'violations', 'warnings', 'tenant', 'policy_version', 'timestamp', 'action_hash'] },
);
const receipt = fc.record({ alg: fc.constantFrom('HS256', 'Ed25519'), kid: str, nonce: str, signature: str });

/** f's result, or the class of what it threw. */
function outcome(f: () => string): string {
  try {
    return f();
  } catch (e) {
    return e instanceof CanonicalizationError ? 'CanonicalizationError' : `unexpected ${String(e)}`;
  }
}

describe('decisionText', () => {
  it('gives canonicalize\'s text of the signed body, and of the body with its receipt, or its refusal', () => {
    fc.assert(fc.property(decision, receipt, (d, r) => {
      const body = signedBody(d);
      expect(outcome(() => joinDecisionText(decisionText(d)))).toBe(outcome(() => canonicalize(body)));
      expect(outcome(() => joinDecisionText(decisionText(d), canonicalize(r as unknown as Json)))).toBe(outcome(() => canonicalize({ ...(body as object), receipt: r } as unknown as Json)));
    }), { numRuns: 2000 });
  });

  it('hands anything off the known shape to the generic writer', () => {
    const v = { clause: 'prohibited[0]', code: 'prohibited', effect: 'deny', message: 'm', rule_id: 'r', severity: 'high' };
    const d = {
      decision_id: 'd', approved: false, reasoning: 'r', rule_ids: ['r'], violations: [v], warnings: [], tenant: 't',
      policy_version: 'p', timestamp: 'ts', action_hash: 'h',
    };
    const { severity: _s, ...renamed } = v;
    const near: object[] = [
      { ...d, violations: [{ ...renamed, level: 'high' }] }, // a member renamed: still six
      { ...d, violations: [{ ...v, extra: 1 }] },
      { ...d, violations: [renamed] },
      { ...d, zzz: 1 },
      { ...d, approved: 'no' },
      { ...d, rule_ids: ['r', 1] },
      { ...d, rule_ids: ['a', , 'b'] }, // a hole: refused, as the generic writer refuses it
      { ...d, violations: [v, , v] },
      { ...d, audience: undefined },
      Object.assign(Object.create({ inherited: 1 }) as object, d),
    ];
    expect(hasKnownShape(d)).toBe(true);
    for (const x of near) {
      expect(outcome(() => joinDecisionText(decisionText(x)))).toBe(outcome(() => canonicalize(signedBody(x))));
      expect(outcome(() => joinDecisionText(decisionText(x), '{}'))).toBe(outcome(() => canonicalize({ ...(signedBody(x) as object), receipt: {} } as Json)));
    }
  });

  it('joins empty halves without stray commas', () => {
    expect(joinDecisionText({ before: '', after: '' })).toBe('{}');
    expect(joinDecisionText({ before: '', after: '' }, '{}')).toBe('{"receipt":{}}');
    expect(joinDecisionText({ before: '"a":1', after: '' }, '{}')).toBe('{"a":1,"receipt":{}}');
    expect(joinDecisionText({ before: '', after: '"z":1' }, '{}')).toBe('{"receipt":{},"z":1}');
  });

  it('takes the direct path for what the engine decides (the speed of signing rests on it)', async () => {
    const engine = await createEngine({
      rules: [{ path: 'r.yaml', text: 'rule_id: r\nname: r\ndescription: d\napplies_to:\n  actions: [db.write]\nprohibited:\n  - message: no user table\n    when: action.table == \"users\"\n' }],
    });
    const denied = await engine.evaluate({ action: { type: 'db.write', table: 'users' }, audience: 'svc' });
    const approved = await engine.evaluate({ action: 'db.read' });
    expect(denied.violations.length).toBe(1);
    for (const d of [denied, approved]) {
      expect(hasKnownShape(d)).toBe(true);
      expect(joinDecisionText(decisionText(d))).toBe(canonicalize(signedBody(d)));
    }
  });
});

describe('signAudited', () => {
  // Any members at all, so that either half of the text can be empty.
  const loose = fc.record(
    { decision_id: orOdd(str), approved: orOdd(fc.boolean()), reasoning: orOdd(str), rule_ids: orOdd(fc.array(str, { maxLength: 2 })), tenant: orOdd(str), zzz: json, aaa: json },
    { requiredKeys: [] },
  );

  it('writes the audit line and its leaf input as canonicalize would, or refuses as it does', async () => {
    const signer = await createSigner({ hs256Secret: 'a-property-test-secret-of-32-bytes-or-more', backend: nodeCryptoBackend });
    await fc.assert(fc.asyncProperty(fc.oneof(decision, loose), async (d) => {
      let line: string;
      try {
        const signed = await signer.signAudited(d as unknown as Decision);
        expect(signed.leafInput).toBe('\0' + signed.auditLine);
        line = signed.auditLine === auditLine(signed.decision as unknown as Json) ? 'same' : 'different';
      } catch (e) {
        line = e instanceof CanonicalizationError ? 'CanonicalizationError' : `unexpected ${String(e)}`;
      }
      expect(line).toBe(outcome(() => (canonicalize(signedBody(d)), 'same')));
    }), { numRuns: 1000 });
  });
});
