// The production evaluator: rules compiled to a bundle, run by the WebAssembly VM, one wasm
// call per check. Implements the same Evaluator contract as the oracle (src/ir/evaluate.ts).

import type { CheckRequest, Rule } from '../ir/types.js';
import { compileBundle, type CompiledBundle } from '../compile/bundle.js';
import type { EvaluationEnv, EvaluationOutcome, Evaluator } from '../ir/outcome.js';
import { Extractor } from './extract.js';
import { RuleIndex } from './rule-index.js';
import { ruleFields } from './rule-fields.js';
import { readOutcome } from './vm-results.js';
import { loadVm, VmError, type Vm } from './wasm.js';
import { OverBudgetError } from '../ir/glob-work.js';

export interface VmEvaluator extends Evaluator {
  readonly bundle: CompiledBundle;
}

export interface VmEvaluatorOptions {
  /** A precompiled VM module (required on Cloudflare Workers). */
  wasm?: WebAssembly.Module;
  /** A VM shared across tenants (from loadVm()); takes precedence over `wasm`. */
  vm?: Vm;
}

/**
 * Compile `rules` and load them into the VM. Throws CompileError for a rule set that cannot be
 * compiled, VmError when the VM refuses the bundle; `evaluate` throws VmError on a trap (the
 * engine then denies with `internal_error`).
 *
 * @example const ev = await createVmEvaluator(rules); ev.evaluate(req, { tenant, time })
 */
export async function createVmEvaluator(rules: readonly Rule[], opts: VmEvaluatorOptions = {}): Promise<VmEvaluator> {
  return createBundleEvaluator(compileBundle(rules), opts);
}

/**
 * Load an already compiled bundle (the engine compiles once: the same bytes give the policy
 * version). Throws VmError when the VM refuses the bytes.
 *
 * @example const ev = await createBundleEvaluator(compileBundle(rules), { vm })
 */
export async function createBundleEvaluator(bundle: CompiledBundle, opts: VmEvaluatorOptions = {}): Promise<VmEvaluator> {
  const vm = opts.vm ?? (await loadVm({ wasm: opts.wasm }));
  const inst = await vm.load(bundle.bytes);
  const extractor = new Extractor(inst, bundle.fields, bundle.strings, new RuleIndex(bundle.rules), ruleFields(bundle.bytes));
  const ids = bundle.rules.map((r) => r.rule_id);
  return {
    rules: bundle.rules,
    bundle,
    evaluate(req: CheckRequest, env: EvaluationEnv): EvaluationOutcome {
      const type = req.action.type;
      const len = extractor.write(req, env, extractor.plan(typeof type === 'string' ? type : ''));
      try {
        inst.evaluate(len);
      } catch (err) {
        // Name the rule that trapped or went over the budget, for the denial's message.
        if ((err instanceof VmError || err instanceof OverBudgetError) && err.ruleIndex !== undefined) err.ruleId = ids[err.ruleIndex];
        throw err;
      }
      return readOutcome(inst.view(), inst.resultPtr, bundle.rules, ids, req, env);
    },
  };
}
