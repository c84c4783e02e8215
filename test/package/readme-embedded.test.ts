// README's "Embedded" example, run as written against the built package (its `mge` import is
// the package's own entry, dist/): a review found it used a variable it never defined, and
// named modules the package does not export.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'mge-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README: Embedded', () => {
  it('runs as written and prints what its comments say', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const section = readme.slice(readme.indexOf('**Embedded**'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)![1];
    // Plain JavaScript apart from its fence: run by Node against the built entry.
    const entry = pathToFileURL(join(new URL('dist/src/index.js', root).pathname)).href;
    const file = join(dir, 'embedded.mjs');
    writeFileSync(file, block.replace("from 'mge'", `from '${entry}'`));
    const printed = execFileSync(process.execPath, [file], { encoding: 'utf8' }).trimEnd().split('\n');
    const promised = [...block.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
    expect(promised).toHaveLength(2);
    expect(printed).toEqual(promised);
  });

  // The review of that example: it ran, but a strict TypeScript project refused it (`append`
  // takes JSON, not a Decision).
  it('type-checks in a strict TypeScript project against the package\'s declarations', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('**Embedded**')))![1];
    const file = join(dir, 'embedded.mts'); // an ES module: top-level await
    writeFileSync(file, block.replace("from 'mge'", `from '${new URL('dist/src/index.js', root).pathname}'`));
    const tsc = new URL('node_modules/typescript/bin/tsc', root).pathname;
    const args = [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,dom', '--types', 'node', file];
    expect(() => execFileSync(process.execPath, args, { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  }, 60_000);
});
