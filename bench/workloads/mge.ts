// MGE on the workloads: the specs as YAML rule text (mge-text.ts), loaded by `createEngine`
// exactly as `mge serve` loads a rules directory, with the crypto backend `mge serve` uses on
// Node (node:crypto for action_hash; WebCrypto would add a thread-pool hop per check).

import { nodeCryptoBackend } from '../../dist/src/adapters/node/crypto.js';
import { createEngine, type Engine } from '../../dist/src/engine/engine.js';
import type { CryptoBackend } from '../../dist/src/receipt/backend.js';
import type { BenchEngine, EngineFactory } from './engine.js';
import type { Workload } from './index.js';
import { mgeRuleFile } from './mge-text.js';

const built = new WeakMap<Workload, Map<string, Promise<Engine>>>();

/** An engine over the workload's rules; built once per workload and options (10 000 rules take seconds). */
export function mgeEngineFor(w: Workload, evaluator: 'vm' | 'oracle', crypto: CryptoBackend = nodeCryptoBackend): Promise<Engine> {
  let engines = built.get(w);
  if (!engines) built.set(w, (engines = new Map()));
  const key = `${evaluator}/${crypto.name}`;
  let engine = engines.get(key);
  if (!engine) engines.set(key, (engine = createEngine({ rules: [mgeRuleFile(w.rules)], evaluator, crypto })));
  return engine;
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

const ENV = { tenant: 'default', time: '2026-11-25T12:00:00.000Z' };

/** The VM evaluator alone (see EXTRA_ROWS): every workload rule is a deny rule, so no violation = approved. */
export const createMgeEvaluatorEngine: EngineFactory = async (w: Workload): Promise<BenchEngine> => {
  const { evaluator } = (await mgeEngineFor(w, 'vm')).policy();
  return {
    name: 'mge-evaluator',
    prepare({ request }) {
      return () => evaluator.evaluate(request, ENV).violated.length === 0;
    },
  };
};
export const createMgeOracleEngine = factory('mge-oracle', 'oracle');
