// Property (c): one policy written as MDC, YAML and JSON normalizes to the same rules and so
// compiles to byte-identical bundles (docs/semantics.md "Decisions": no source positions in the
// bundle).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileBundle } from '../../src/compile/bundle.js';
import type { Rule } from '../../src/ir/types.js';
import { parseRuleFile } from '../../src/rules/load.js';
import { type Files, RUNS, TIMEOUT } from './helpers.js';
import { FORMATS, policy, writePolicy } from './policy-gen.js';

function parseAll(files: Files): Rule[] {
  return files.flatMap((f) => {
    const parsed = parseRuleFile(f);
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`${f.path} does not load: ${JSON.stringify(errors)}\n${f.text}`);
    return parsed.rules;
  });
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('one policy in MDC, YAML and JSON', () => {
  it('compiles to byte-identical bundles', () => {
    fc.assert(
      fc.property(policy, (rules) => {
        const [yaml, ...others] = FORMATS.map((f) => hex(compileBundle(parseAll(writePolicy(rules, f))).bytes));
        others.forEach((other, i) => expect(other, `${FORMATS[i + 1]} bundle differs from the yaml one`).toBe(yaml));
      }),
      RUNS,
    );
  }, TIMEOUT);
});
