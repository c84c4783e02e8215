// The Node entry (`mge/node`): the engine from a rules directory on disk.

import { createEngine, type Engine, type EngineOptions } from '../engine/engine.js';
import { readRulesDir } from './node-files.js';

export * from '../index.js';
export { readRulesDir } from './node-files.js';

/**
 * @example const engine = await createEngineFromDir('./rules');
 */
export async function createEngineFromDir(dir: string, opts: Omit<EngineOptions, 'rules'> = {}): Promise<Engine> {
  return createEngine({ ...opts, rules: await readRulesDir(dir) });
}
