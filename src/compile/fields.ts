// The field table: every request path the rules read, by index. The host extracts exactly
// these values into the input region; the VM reads them with `load_field i`.

import type { PathRef } from '../ir/types.js';
import { pathText } from '../ir/messages.js';
import { CompileError } from './errors.js';
import { LIMITS } from './emitter.js';

/** Field 0 is always `action.type`: the VM matches action-type scopes against it. */
export const ACTION_TYPE: PathRef = { root: 'action', segments: ['type'] };

export class FieldTable {
  readonly paths: PathRef[] = [];
  private readonly ids = new Map<string, number>();

  constructor() {
    this.index(ACTION_TYPE);
  }

  /** The index of a path, added on first use (deterministic: rules are lowered in id order). */
  index(p: PathRef): number {
    const key = pathText(p);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.paths.length;
      if (id > LIMITS.fields) throw new CompileError(`too many distinct paths (at most ${LIMITS.fields})`);
      this.paths.push({ root: p.root, segments: [...p.segments] });
      this.ids.set(key, id);
    }
    return id;
  }
}
