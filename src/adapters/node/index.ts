// The Node entry (`mge/node`): the engine from a rules directory on disk.

import { createEngine, type Engine, type EngineOptions } from '../../engine/engine.js';
import { nodeCryptoBackend } from './crypto.js';
import { readRulesDirWarned } from './files.js';

export * from '../../index.js';
export { readRulesDir } from './files.js';
export { NodeAuditStoreFactory } from './audit-store.js';

/**
 * The engine over a rules directory; on Node, action hashes use node:crypto (byte-identical to
 * WebCrypto, without a thread-pool hop per check).
 * @example const engine = await createEngineFromDir('./rules');
 */
export async function createEngineFromDir(dir: string, opts: Omit<EngineOptions, 'rules'> = {}): Promise<Engine> {
  const { sources, warnings } = await readRulesDirWarned(dir);
  return createEngine({ crypto: nodeCryptoBackend, ...opts, rules: sources, sourceWarnings: warnings });
}
