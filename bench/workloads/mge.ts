// MGE on the workloads: the specs as YAML rule text (mge-text.ts), loaded by `createEngine`
// exactly as `mge serve` loads a rules directory.

import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { BenchEngine, EngineFactory } from './engine.js';
import type { Workload } from './index.js';
import { mgeRuleFile } from './mge-text.js';

/** An engine over the workload's rules. */
export function mgeEngineFor(w: Workload, evaluator: 'vm' | 'oracle'): Promise<Engine> {
  return createEngine({ rules: [mgeRuleFile(w.rules)], evaluator });
}

function factory(name: 'mge' | 'mge-oracle', evaluator: 'vm' | 'oracle'): EngineFactory {
  return async (w: Workload): Promise<BenchEngine> => {
    const engine = await mgeEngineFor(w, evaluator);
    return {
      name,
      prepare({ request }) {
        return async () => (await engine.evaluate(request)).approved;
      },
    };
  };
}

export const createMgeEngine = factory('mge', 'vm');
export const createMgeOracleEngine = factory('mge-oracle', 'oracle');
