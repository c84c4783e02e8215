// The Node entry (`mge/node`): the engine from a rules directory on disk.

import { createEngine, NoRulesError, type Engine, type EngineOptions } from '../../engine/engine.js';
import { nodeCryptoBackend } from './crypto.js';
import { readRulesDirWarned, rulesDirProblem } from './files.js';

export * from '../../index.js';
export { readRulesDir } from './files.js';
export { NodeAuditStoreFactory } from './audit-store.js';

/**
 * The engine over a rules directory; on Node, action hashes use node:crypto (byte-identical to
 * WebCrypto, without a thread-pool hop per check). A directory that is not there, or holds no
 * rule file, is refused with NoRulesError, as `mge serve` and `mge check` refuse it: an engine
 * over a wrong path or an unmounted volume approved every check.
 * @example const engine = await createEngineFromDir('./rules');
 */
export async function createEngineFromDir(dir: string, opts: Omit<EngineOptions, 'rules' | 'allowNoRules'> = {}): Promise<Engine> {
  const problem = await rulesDirProblem(dir, 'library');
  if (problem !== undefined) throw new NoRulesError(problem);
  const { sources, warnings } = await readRulesDirWarned(dir);
  if (sources.length === 0) {
    throw new NoRulesError(`the rules directory \`${dir}\` holds no rule file, so every request would be approved (a wrong path, a volume not mounted?); to decide against no rules, leave a file holding \`rules: []\``);
  }
  return createEngine({ crypto: nodeCryptoBackend, ...opts, rules: sources, sourceWarnings: warnings });
}
