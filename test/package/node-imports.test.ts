// README and ARCHITECTURE.md promise that only src/adapters/node/ and src/cli/ import `node:*`:
// the rest is web-standard and runs on Deno, Bun, Workers and in browsers. A review (11-27)
// found src/adapters/data-dir-lock.ts breaking the rule unnoticed; this holds it.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sources(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('node:* imports', () => {
  it('are only in src/adapters/node/ and src/cli/', () => {
    const importing = sources(join(root, 'src'))
      .filter((f) => /\bfrom\s+['"]node:|\bimport\(\s*['"]node:|\brequire\(\s*['"]node:/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f).split('\\').join('/'));
    expect(importing.length).toBeGreaterThan(0); // the scan sees the Node adapter's imports
    expect(importing.filter((f) => !/^src\/(adapters\/node\/|cli\/)/.test(f))).toEqual([]);
  });
});
