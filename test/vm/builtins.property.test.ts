// The VM's builtins (assembly/glob.ts, cidr.ts, text.ts) against the TypeScript ones the oracle
// uses, on generated patterns, subjects, addresses and unicode text taken from the request.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVmEvaluator, type VmEvaluator } from '../../src/engine/vm-evaluator.js';
import { loadVm, type Vm } from '../../src/engine/wasm.js';
import { createOracleEvaluator } from '../../src/ir/evaluate.js';
import { normalizePath } from '../../src/builtins/path.js';
import type { Evaluator } from '../../src/ir/outcome.js';
import type { Rule } from '../../src/ir/types.js';
import { ENV, SPAN, rule, src } from '../oracle/helpers.js';
import { sorted } from './helpers.js';

let vm: Vm;
beforeAll(async () => {
  vm = await loadVm();
});

async function pair(text: string): Promise<[VmEvaluator, Evaluator]> {
  const rules: Rule[] = [rule({ rule_id: 'r', required: [{ message: 'false', check: src(text), span: SPAN }] })];
  return [await createVmEvaluator(rules, { vm }), createOracleEvaluator(rules)];
}

const chars = (xs: string[], max: number) => fc.array(fc.constantFrom(...xs), { maxLength: max }).map((a) => a.join(''));
const pattern = chars(['a', 'b', '/', '*', '*', '?', '[', ']', '!', '^', '-', '.', 'é', '😀', 'z'], 9);
const subject = chars(['a', 'b', '/', '.', '..', 'é', '😀', '-', 'z', '\\'], 10);

describe('VM builtins ≡ TS builtins', () => {
  it('glob(s, p) with both from the request (1000 runs)', async () => {
    const [ev, oracle] = await pair('glob(context.s, context.p)');
    fc.assert(
      fc.property(subject, pattern, (s, p) => {
        const req = { action: { type: 't' }, context: { s, p } };
        expect(ev.evaluate(req, ENV)).toEqual(oracle.evaluate(req, ENV));
      }),
      { numRuns: 1000 },
    );
  });

  it('action-type globs in scopes (1000 runs)', async () => {
    const valid = pattern.filter((p) => !/\[/.test(p) || /\[[^\]]+\]/.test(p));
    await fc.assert(
      fc.asyncProperty(fc.array(valid, { minLength: 1, maxLength: 3 }), fc.array(subject, { minLength: 1, maxLength: 5 }), async (actions, types) => {
        const rules = [rule({ rule_id: 's', applies_to: { actions }, prohibited: [{ message: 'm', when: src('true'), span: SPAN }] })];
        let ev: VmEvaluator;
        try {
          ev = await createVmEvaluator(rules, { vm });
        } catch {
          return; // an invalid pattern (a reversed range, say): a load error, not a scope
        }
        const oracle = createOracleEvaluator(rules);
        for (const type of types) {
          const req = { action: { type }, context: {} };
          expect(ev.evaluate(req, ENV)).toEqual(oracle.evaluate(req, ENV));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('inCidr(ip, cidr) (1000 runs)', async () => {
    const [ev, oracle] = await pair('inCidr(context.ip, context.cidr)');
    const v4 = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((p) => p.join('.'));
    const v6 = chars(['0', '1', 'f', 'F', 'ff', 'ffff', ':', '::', '.', '10', '255', 'g'], 12);
    const ip = fc.oneof(v4, v6, fc.constantFrom('::ffff:10.1.2.3', '::1', '::', '1:2:3:4:5:6:7:8', '01.2.3.4', ''));
    const cidr = fc.tuple(ip, fc.oneof(fc.nat(140).map(String), fc.constantFrom('', '08', 'x', '/1'))).map(([a, p]) => `${a}/${p}`);
    fc.assert(
      fc.property(ip, fc.oneof(cidr, ip), (a, c) => {
        const req = { action: { type: 't' }, context: { ip: a, cidr: c } };
        expect(ev.evaluate(req, ENV)).toEqual(oracle.evaluate(req, ENV));
      }),
      { numRuns: 1000 },
    );
  });

  it('path normalization: a path matches its normalized form as a literal pattern (1000 runs)', async () => {
    const [ev, oracle] = await pair('glob(context.s, context.p)');
    // With a leading drive or UNC prefix often: `..` cannot pop a root (`C:\\..\\x` escapes).
    const segments = chars(['a', 'b', '/', '/', '.', '..', '\\', 'é', 'x.y', '\u0085', 'C:', ':'], 10);
    // And the Win32 namespace prefixes (`\\?\C:`, `//./UNC/`, near misses), which are dropped.
    const namespace = fc.tuple(fc.constantFrom('\\\\?\\', '//./', '\\/?/', '//?', '\\\\:\\', '\\??\\', '/??/', '\\?\\', '/?./'), fc.constantFrom('C:', 'z:', 'UNC', 'unc', 'UN', 'C', ''), segments).map(([a, b, c]) => a + b + c);
    const path = fc.oneof(segments, segments.map((p) => `C:${p}`), segments.map((p) => `z:/..${p}`), segments.map((p) => `\\\\${p}`), namespace);
    fc.assert(
      fc.property(path, path, (s, other) => {
        const n = normalizePath(s);
        for (const p of [n.ok ? n.path : s, s, other]) {
          const req = { action: { type: 't' }, context: { s, p } };
          expect(ev.evaluate(req, ENV)).toEqual(oracle.evaluate(req, ENV));
        }
        if (n.ok && n.path !== '') {
          expect(ev.evaluate({ action: { type: 't' }, context: { s, p: n.path } }, ENV).violated).toEqual([]);
        }
      }),
      // `/??/C:/a`: every segment kept, and the VM's already-normal shortcut returned it as it was (CI, 11-29).
      { numRuns: 1000, examples: [['/??/C:/a', 'z:/..'], ['\\??\\C:\\a', '/??/UNC/s/h/x']] },
    );
  });

  it('lower/upper/len equal JavaScript on any unicode text (1000 runs)', async () => {
    const [ev] = await pair('lower(context.s) == context.l && upper(context.s) == context.u && len(context.s) == context.n');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      chars(['Σ', 'ς', 'σ', 'İ', 'ı', 'ß', 'ﬃ', 'ΐ', 'ŉ', 'A', ' ', 'Ǆ', 'ǅ', '😀', '𐐀', 'Ω', 'K'], 8),
    );
    fc.assert(
      fc.property(text, (s) => {
        const req = { action: { type: 't' }, context: { s, l: s.toLowerCase(), u: s.toUpperCase(), n: [...s].length } };
        expect(sorted(ev.evaluate(req, ENV)).violated).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
