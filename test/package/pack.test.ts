// What `npm pack` puts in the tarball (docs/sdk.md offers it as a way to install MGE). Without a
// `files` list npm falls back to .gitignore, which leaves out dist/ and build/: the tarball
// installed, and every import and `npx mge` failed.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};

function packedFiles(): Set<string> {
  // --ignore-scripts: list what would be packed without rebuilding (the suite runs on a built tree).
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const [report] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>;
  return new Set(report.files.map((f) => f.path));
}

describe('npm pack', () => {
  const files = packedFiles();
  const targets = [
    ...Object.values(pkg.bin),
    ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
  ].map((p) => p.replace(/^\.\//, ''));

  it.each(targets)('packs %s, named by package.json', (target) => {
    expect(files.has(target)).toBe(true);
  });

  it('packs the built VM, the example rules and the licence', () => {
    for (const f of ['dist/src/engine/wasm-embedded.js', 'dist/assembly/format.js', 'rules/db-access-control.mdc', 'LICENSE']) {
      expect(files.has(f), f).toBe(true);
    }
  });

  it('packs no built file whose source is gone (a moved or removed module)', () => {
    const orphans = [...files]
      .filter((f) => /^dist\/(src|assembly)\/.*\.js$/.test(f))
      .filter((f) => !existsSync(join(root, f.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
    expect(orphans).toEqual([]);
  });

  it('leaves out tests, benches and local data', () => {
    const stray = [...files].filter((f) => /^(test|bench|scratch|data|node_modules)\//.test(f));
    expect(stray).toEqual([]);
  });
});
