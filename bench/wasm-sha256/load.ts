// Builds bench/wasm-sha256/sha256.ts with asc and wraps it as `sha256(text | bytes) → bytes`,
// refusing to hand it out unless it agrees with node:crypto on a spread of lengths.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Exports {
  memory: WebAssembly.Memory;
  input_ptr(len: number): number;
  output_ptr(): number;
  digest(len: number): void;
}

export type WasmSha256 = (data: string | Uint8Array) => Uint8Array;

export async function loadWasmSha256(): Promise<WasmSha256> {
  const dir = mkdtempSync(join(tmpdir(), 'mge-sha256-'));
  const out = join(dir, 'sha256.wasm');
  const asc = fileURLToPath(new URL('../../node_modules/assemblyscript/bin/asc.js', import.meta.url));
  execFileSync(process.execPath, [asc, fileURLToPath(new URL('./sha256.ts', import.meta.url)), '--runtime', 'stub', '-O3', '--noAssert', '-o', out]);
  const { instance } = await WebAssembly.instantiate(readFileSync(out), { env: { abort: () => { throw new Error("wasm SHA-256 aborted"); } } });
  rmSync(dir, { recursive: true, force: true });
  const x = instance.exports as unknown as Exports;
  const encoder = new TextEncoder();
  const at = x.input_ptr(0);
  const outAt = x.output_ptr();
  const sha256: WasmSha256 = (data) => {
    const mem = new Uint8Array(x.memory.buffer);
    let len: number;
    if (typeof data === 'string') len = encoder.encodeInto(data, mem.subarray(at, at + 65536)).written;
    else {
      mem.set(data, at);
      len = data.length;
    }
    x.digest(len);
    return mem.slice(outAt, outAt + 32);
  };
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 4097]) {
    const s = 'é'.repeat(n >> 2) + 'x'.repeat(n - (n >> 2));
    const want = createHash('sha256').update(s, 'utf8').digest('hex');
    if (Buffer.from(sha256(s)).toString('hex') !== want) throw new Error(`wasm SHA-256 disagrees with node:crypto at length ${n}`);
  }
  return sha256;
}
