// The host skips rebuilding a violated file condition's path when it is already normal; that
// shortcut must never claim a path is normal when normalizePath would change it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../src/builtins/path.js';
import { isNormalPath } from '../../src/engine/vm-results.js';

const path = fc.array(fc.constantFrom('/', '\\', '.', '..', 'a', 'b.exe', '\u0000', '\u0085', 'é', ' ', '??', 'C:'), { maxLength: 8 }).map((p) => p.join(''));

describe('isNormalPath', () => {
  it('is true only for paths normalizePath returns unchanged (5000 runs)', () => {
    fc.assert(
      fc.property(path, (p) => {
        const n = normalizePath(p);
        if (isNormalPath(p)) expect(n).toEqual({ ok: true, path: p });
      }),
      { numRuns: 5000 },
    );
  });

  it('is true for the usual paths', () => {
    for (const p of ['reports/2026/q3.pdf', '/etc/passwd', 'a', '.env', 'x/..y/z..']) expect(isNormalPath(p)).toBe(true);
    for (const p of ['a//b', 'a/./b', 'a/../b', 'a\\b', 'a/', '/', './a', '/??/C:/x']) expect(isNormalPath(p)).toBe(false);
  });
});
