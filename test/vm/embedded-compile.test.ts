// The embedded VM compiled from bytes: where a runtime refuses that (Cloudflare Workers: "Wasm
// code generation disallowed by embedder"), the error says the way out, and the next engine
// tries again. A review (11-29): the README's embedded example failed on Workers with the
// runtime's bare words.

import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the embedded VM module', () => {
  it('names the precompiled module when the runtime will not compile wasm from bytes, and tries again next time', async () => {
    vi.resetModules(); // a fresh module: no VM compiled by an earlier test of this worker
    const { createEngine } = await import('../../src/engine/engine.js');
    const rules = [{ path: 'r.yaml', text: 'rule_id: r\nprohibited:\n  - message: no x\n    when: action.type == "x"\n' }];
    const refused = new WebAssembly.CompileError('WebAssembly.compile(): Wasm code generation disallowed by embedder');
    vi.spyOn(WebAssembly, 'compile').mockRejectedValueOnce(refused);
    const err = await createEngine({ rules }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toBe(
      "the VM's WebAssembly could not be compiled from bytes here (CompileError: WebAssembly.compile(): Wasm code generation disallowed by embedder); a runtime that refuses that, as Cloudflare Workers do, takes the precompiled module: `import wasm from 'mge/mge.wasm'`, then `createEngine({ rules, wasm })`",
    );
    expect(err?.cause).toBe(refused);
    // Not cached: the next engine compiles it.
    expect((await (await createEngine({ rules })).evaluate({ action: 'x' })).approved).toBe(false);
  });
});
