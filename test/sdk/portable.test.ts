// The SDK must run in Node, Deno, Bun, workers and browsers: bundled for the browser platform,
// nothing in its import graph may reach a `node:` module (esbuild fails on any that does).

import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('mge/sdk portability', () => {
  it('bundles for the browser with no node: import anywhere in its graph', async () => {
    const out = await build({
      entryPoints: ['src/sdk/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || /\/adapters\/node|\/cli\//.test(p))).toEqual([]);
    expect(inputs).toContain('src/sdk/client.ts');
    expect(out.outputFiles[0].text).not.toMatch(/from\s*["']node:|require\(["']node:/);
  });

  it('keeps the rule loader and YAML out of an agent bundle that only checks and verifies', async () => {
    const out = await build({
      stdin: { contents: "export { MGEClient, verifyReceipt } from './src/sdk/index.js';", resolveDir: '.', sourcefile: 'agent.ts', loader: 'ts' },
      bundle: true, splitting: true, platform: 'browser', format: 'esm', outdir: 'out', write: false, metafile: true, minify: true, logLevel: 'silent',
    });
    // What the agent loads at once: the entry and every chunk it imports statically (a review,
    // 11-27: the entry alone was checked, and it imported a 173 KB chunk holding the loader and
    // YAML; package.json's `sideEffects` now lets the bundler leave unused modules out).
    const outputs = out.metafile.outputs;
    const entryName = Object.keys(outputs).find((k) => outputs[k].entryPoint !== undefined)!;
    const loaded = new Set([entryName]);
    for (const name of loaded) {
      for (const i of outputs[name].imports) if (i.kind === 'import-statement' && outputs[i.path] !== undefined) loaded.add(i.path);
    }
    const inputs = [...loaded].flatMap((name) => Object.keys(outputs[name].inputs));
    expect(inputs).toContain('src/sdk/client.ts');
    expect(inputs).toContain('src/receipt/verify.ts');
    expect(inputs.filter((p) => p.startsWith('src/rules/') || p.includes('node_modules/yaml/'))).toEqual([]);
    expect([...loaded].reduce((n, name) => n + outputs[name].bytes, 0)).toBeLessThan(40_000);
  });
});
