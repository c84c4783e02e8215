// Stores that keep strings from a request past it must not keep the request's body: V8 keeps a
// long substring as a view of its source, and the strict parser's strings are views of the body
// (src/state/detached.ts). A review (11-27) ran `mge serve` out of memory with verify bodies
// padded to 1 MiB, each nonce holding its body. Measured in a child with --expose-gc.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('nonce store, rate buckets and the per-type memos', () => {
  it('hold their strings, not the 1 MiB bodies those were parsed from', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'retained-child.ts')], { encoding: 'utf8', timeout: 60_000 });
    // 100 bodies of 1 MiB each were parsed; holding them would be ~100 MB per store that does.
    expect(Number(out.trim())).toBeLessThan(10);
  });
});
