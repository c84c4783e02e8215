// Engine-level properties of inCidr and glob() with arguments from the request (so the VM's own
// builtins run, not compile-time checks): inCidr matches a model written from docs/semantics.md
// "CIDR" (prefix bits compared as integers; ::ffff:a.b.c.d matches IPv4 ranges as the IPv4
// address — and IPv6 ranges as itself, which the doc leaves open); glob() with random patterns
// decides identically on the oracle and the VM, as a regular-expression model of "Globs" says.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { NOW, RUNS, TIMEOUT, withoutId } from './helpers.js';
import { modelGlob, modelNormalize } from './models.js';
import { stringify } from './policy-gen.js';

const RULES = [
  { rule_id: 'cidr', required: [{ message: 'inside', check: 'inCidr(action.ip, action.cidr)' }] },
  { rule_id: 'glob', required: [{ message: 'matches', check: 'glob(action.s, action.p)' }] },
];

let oracle: Engine;
let vm: Engine;
beforeAll(async () => {
  const files = [{ path: 'builtins.yaml', text: stringify(RULES) }];
  [oracle, vm] = await Promise.all(['oracle', 'vm'].map((k) => createEngine({ rules: files, evaluator: k as 'oracle' | 'vm', now: () => NOW })));
});

type Addr = { family: 4 | 6; bits: bigint; text: string; mapped?: boolean };

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c, d]): Addr => ({
  family: 4,
  bits: (BigInt(a) << 24n) | (BigInt(b) << 16n) | (BigInt(c) << 8n) | BigInt(d),
  text: `${a}.${b}.${c}.${d}`,
}));

/** Eight groups, a few of them zero so that `::` compression has runs to take. */
const groups = fc.array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 });

/** RFC 4291 text: full, or with one run of zero groups compressed to `::`; hex case varies. */
function v6Text(gs: number[], compress: boolean, upper: boolean): string {
  const hex = gs.map((g) => (upper ? g.toString(16).toUpperCase() : g.toString(16)));
  if (!compress) return hex.join(':');
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && gs[j] === 0) j++;
    if (j - i > len) [best, len] = [i, j - i];
  }
  if (len < 1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + len).join(':')}`;
}

const v6 = fc.tuple(groups, fc.boolean(), fc.boolean()).map(([gs, c, u]): Addr => ({
  family: 6,
  bits: gs.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n),
  text: v6Text(gs, c, u),
}));

/** An IPv4 address written as IPv4-mapped IPv6: the semantics match it as the IPv4 address. */
const mapped = v4.map((a): Addr => ({ ...a, text: `::ffff:${a.text}`, mapped: true }));

const address = fc.oneof(v4, v6, mapped);
const cidr = fc.oneof(
  fc.tuple(v4, fc.nat(32)).map(([a, n]) => ({ net: a, prefix: n })),
  fc.tuple(v6, fc.nat(128)).map(([a, n]) => ({ net: a, prefix: n })),
);

function modelInCidr(ip: Addr, net: Addr, prefix: number): boolean {
  // An IPv4 address, in either spelling, is in the IPv6 ranges its mapped form is in.
  if (ip.family === 4 && net.family === 6) return modelInCidr({ family: 6, bits: (0xffffn << 32n) | ip.bits, text: ip.text }, net, prefix);
  if (ip.family !== net.family) return false;
  const width = ip.family === 4 ? 32n : 128n;
  const shift = width - BigInt(prefix);
  return ip.bits >> shift === net.bits >> shift;
}

/** Nearby addresses share prefixes with the network, so matches are common, not one in 2^n. */
const nearby = fc.tuple(cidr, address, fc.boolean()).map(([c, ip, same]) => {
  if (!same || ip.family !== c.net.family) return { c, ip };
  const width = c.net.family === 4 ? 32n : 128n;
  const keep = BigInt(c.prefix);
  const mask = ((1n << width) - 1n) >> keep;
  const bits = (c.net.bits & ~mask & ((1n << width) - 1n)) | (ip.bits & mask);
  const text = c.net.family === 4
    ? [24n, 16n, 8n, 0n].map((s) => ((bits >> s) & 255n).toString()).join('.')
    : v6Text(Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn)), true, false);
  return { c, ip: { ...ip, bits, text } };
});

describe('inCidr with request arguments', () => {
  it('matches the prefix model, on the oracle and the VM', async () => {
    await fc.assert(
      fc.asyncProperty(nearby, async ({ c, ip }) => {
        const req = { action: { type: 'net', ip: ip.text, cidr: `${c.net.text}/${c.prefix}` } };
        const [o, v] = await Promise.all([oracle.evaluate(structuredClone(req)), vm.evaluate(structuredClone(req))]);
        expect(withoutId(v)).toEqual(withoutId(o));
        const inside = !v.violations.some((x) => x.rule_id === 'cidr');
        expect(inside).toBe(modelInCidr(ip, c.net, c.prefix));
      }),
      RUNS,
    );
  }, TIMEOUT);
});

const PATTERN_PARTS = ['*', '**', '**/', '**/**', '?', 'a', 'b', '/', '.', '[ab]', '[!a]', '[a-c]', '😀', 'é'];
const SUBJECT_PARTS = ['a', 'b', 'c', '/', '.', '..', 'ab', '😀', 'é', '\\', 'x.ts'];

describe('glob() with request arguments', () => {
  it('decides identically on the oracle and the VM, as the model says', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Half start with `**/**`, whose collapse into one token is easy to get wrong.
        fc.tuple(fc.boolean(), fc.array(fc.constantFrom(...PATTERN_PARTS), { maxLength: 6 })).map(([gs, ps]) => (gs ? '**/**' : '') + ps.join('')),
        fc.array(fc.constantFrom(...SUBJECT_PARTS), { maxLength: 8 }).map((ps) => ps.join('')),
        async (p, s) => {
          const req = { action: { type: 'g', s, p, ip: '10.0.0.1', cidr: '10.0.0.0/8' } };
          const [o, v] = await Promise.all([oracle.evaluate(structuredClone(req)), vm.evaluate(structuredClone(req))]);
          const subject = modelNormalize(s);
          const want = subject === null ? ['eval_error'] : modelGlob(p, 'path').test(subject) ? [] : ['required'];
          const codes = (d: typeof v) => d.violations.filter((x) => x.rule_id === 'glob').map((x) => x.code);
          expect(codes(v), 'vm').toEqual(want);
          expect(codes(o), 'oracle').toEqual(want);
          expect(withoutId(v)).toEqual(withoutId(o));
        },
      ),
      RUNS,
    );
  }, TIMEOUT);
});
