// Other layouts of one generated policy, for the invariance properties: rules permuted and spread
// over files of mixed formats, or set-like lists with their entries repeated.

import fc from 'fast-check';
import type { Files } from './helpers.js';
import { policy, stringify, writeRule, type Format, type GenRule } from './policy-gen.js';

export interface Layout {
  rules: GenRule[];
  /** Sort keys: the permutation. */
  keys: number[];
  /** Per permuted rule: into a shared YAML list file (true) or a file of its own. */
  grouped: boolean[];
  /** Per permuted rule: the format of its own file. */
  formats: Format[];
}

export const layout: fc.Arbitrary<Layout> = policy.chain((rules) => {
  const n = rules.length;
  return fc.record({
    rules: fc.constant(rules),
    keys: fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n }),
    grouped: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    formats: fc.array(fc.constantFrom<Format>('yaml', 'json', 'mdc'), { minLength: n, maxLength: n }),
  });
});

function permute<T>(xs: T[], keys: number[]): T[] {
  return xs.map((x, i) => [x, keys[i]] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x);
}

/** The layout's files: rules in permuted order, grouped per place (global or a tenant) as asked. */
export function relayout(l: Layout): Files {
  const files: Files = [];
  const lists = new Map<string, GenRule[]>();
  permute(l.rules, l.keys).forEach((r, i) => {
    if (l.grouped[i]) {
      const dir = r.tenant ? `tenants/${r.tenant}/` : 'more/';
      lists.set(dir, [...(lists.get(dir) ?? []), r]);
    } else {
      const f = writeRule(r, l.formats[i]);
      files.push({ path: f.path.replace(/([^/]+)$/, 'x-$1'), text: f.text });
    }
  });
  for (const [dir, rs] of lists) {
    files.push({ path: `${dir}list.yaml`, text: stringify(rs.map(({ tenant: _t, ...fields }) => fields)) });
  }
  // The loader orders files by path itself; hand them over in another order anyway.
  return l.keys[0] > 0 ? files.reverse() : files;
}

/** Every set-like list with its entries repeated (`a, b` → `a, b, b, a`). */
export function duplicateEntries(rule: GenRule): GenRule {
  const twice = <T>(xs: T[]): T[] => [...xs, ...[...xs].reverse()];
  const out: GenRule = structuredClone(rule);
  if (out.applies_to?.actions) out.applies_to.actions = twice(out.applies_to.actions);
  if (out.globs) out.globs = twice(out.globs);
  for (const c of out.conditions) {
    for (const k of ['algorithms', 'allowed_paths', 'blocked_extensions']) {
      const v = c.parameters[k];
      if (Array.isArray(v)) c.parameters[k] = twice(v);
    }
  }
  return out;
}
