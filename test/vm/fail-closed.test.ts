// Fail closed: corrupted bundles, version or ABI mismatches, bad bytecode and traps are
// VmErrors (the engine denies with internal_error) — never an outcome that could approve.

import { describe, expect, it } from 'vitest';
import { CHECKSUM_FROM, H_ABI, H_CHECKSUM, H_CODE, H_CODE_LEN, H_LENGTH } from '../../assembly/format.js';
import { Op } from '../../assembly/opcodes.js';
import { checksum, compileBundle, type CompiledBundle } from '../../src/compile/bundle.js';
import { createBundleEvaluator } from '../../src/engine/vm-evaluator.js';
import { VmError, loadVm } from '../../src/engine/wasm.js';
import { ENV, SPAN, request, rule, src } from '../oracle/helpers.js';

const rules = [
  rule({ rule_id: 'a', applies_to: { actions: ['db.*'] }, prohibited: [{ message: 'no', when: src('context.env == "prod"'), span: SPAN }] }),
  rule({ rule_id: 'b', required: [{ message: 'tls', check: src('context.tls == true || len(action.type) > 100'), span: SPAN }] }),
];
const REQ = request({ type: 'db.write' }, { env: 'prod', tls: false });

/** Bytes with a valid checksum again, so only the VM's run-time checks stand in the way. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(H_CHECKSUM, checksum(out, CHECKSUM_FROM), true);
  return out;
}

function withBytes(b: CompiledBundle, bytes: Uint8Array): CompiledBundle {
  return { ...b, bytes };
}

/** A hand-assembled module with the VM's exports whose abi_version() returns `abi` (< 64: one LEB byte). */
function fakeVmModule(abi: number, exportNames = ['abi_version', 'reserve', 'load', 'input_ptr', 'result_ptr', 'evaluate', 'reset']): WebAssembly.Module {
  const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
  const str = (s: string): number[] => [s.length, ...[...s].map((c) => c.charCodeAt(0))];
  const types = [3, 0x60, 0, 1, 0x7f, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0]; // ()→i32, (i32)→i32, ()→()
  const sig = [0, 1, 1, 0, 0, 1, 2];
  const values = [abi, 0, 0, 0, 0, 0];
  const bodies = sig.map((t, i) => (t === 2 ? [2, 0, 0x0b] : [4, 0, 0x41, values[i], 0x0b]));
  const exports = exportNames.map((n, i) => [...str(n), 0, i]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types),
    ...section(3, [sig.length, ...sig]),
    ...section(5, [1, 0, 1]),
    ...section(7, [exports.length + 1, ...exports.flat(), ...str('memory'), 2, 0]),
    ...section(10, [bodies.length, ...bodies.flat()]),
  ];
  return new WebAssembly.Module(new Uint8Array(bytes));
}

describe('fail closed', () => {
  it('evaluates the intact bundle (the baseline the other cases corrupt)', async () => {
    const ev = await createBundleEvaluator(compileBundle(rules));
    expect(ev.evaluate(REQ, ENV).violated.map((v) => v.clause)).toEqual(['prohibited[0]', 'required[0]']);
  });

  it('refuses a bundle with any single byte flipped', async () => {
    const vm = await loadVm();
    const bytes = compileBundle(rules).bytes;
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] ^= 0x5a;
      await expect(vm.load(bad), `byte ${i}`).rejects.toThrow(VmError);
    }
  });

  it('refuses a truncated bundle and a bundle of another ABI version', async () => {
    const vm = await loadVm();
    const bytes = compileBundle(rules).bytes;
    await expect(vm.load(bytes.subarray(0, 40))).rejects.toThrow('bundle length mismatch');
    const cut = bytes.slice(0, bytes.length - 8);
    new DataView(cut.buffer).setUint32(H_LENGTH, cut.length, true);
    await expect(vm.load(resealed(cut))).rejects.toThrow(VmError);
    const other = bytes.slice();
    new DataView(other.buffer).setUint16(H_ABI, 99, true);
    await expect(vm.load(resealed(other))).rejects.toThrow('bundle format or ABI version mismatch');
  });

  it('refuses a VM module of another ABI version, or one without the VM exports', async () => {
    await expect((await loadVm({ wasm: fakeVmModule(7) })).load(compileBundle(rules).bytes))
      .rejects.toThrow('VM ABI version 7, host expects 1');
    await expect((await loadVm({ wasm: fakeVmModule(1, ['abi_version']) })).load(compileBundle(rules).bytes))
      .rejects.toThrow('the wasm module is not the MGE VM (exports missing)');
  });

  it('throws VmError, never an outcome, on an unknown opcode', async () => {
    const b = compileBundle(rules);
    const bytes = b.bytes.slice();
    const code = new DataView(bytes.buffer).getUint32(H_CODE, true);
    bytes[code] = 0xee; // rule a's first instruction
    const ev = await createBundleEvaluator(withBytes(b, resealed(bytes)));
    expect(() => ev.evaluate(REQ, ENV)).toThrow(VmError);
    expect(() => ev.evaluate(REQ, ENV)).toThrow('bad bytecode');
  });

  it('throws VmError on a jump out of the code, and on code that runs off its end', async () => {
    const b = compileBundle(rules);
    const dv = new DataView(b.bytes.buffer);
    const code = dv.getUint32(H_CODE, true);
    // Rule a starts with `match_prefix "db."; jump_if_true <target>`.
    expect(b.bytes[code]).toBe(Op.MatchPrefix);
    expect(b.bytes[code + 5]).toBe(Op.JumpIfTrue);
    const far = b.bytes.slice();
    new DataView(far.buffer).setUint32(code + 6, 0x00ffffff, true);
    const ev = await createBundleEvaluator(withBytes(b, resealed(far)));
    expect(() => ev.evaluate(REQ, ENV)).toThrow(VmError);

    // Every `rule_end` replaced by `push_null`: execution runs on into the zero padding.
    const run = b.bytes.slice();
    for (let i = code; i < code + dv.getUint32(H_CODE_LEN, true); i++) if (run[i] === Op.RuleEnd) run[i] = Op.PushNull;
    const ev2 = await createBundleEvaluator(withBytes(b, resealed(run)));
    expect(() => ev2.evaluate(REQ, ENV)).toThrow(VmError);
  });

  it('keeps working after a trap (the next check starts clean)', async () => {
    const b = compileBundle(rules);
    const bytes = b.bytes.slice();
    const code = new DataView(bytes.buffer).getUint32(H_CODE, true);
    bytes[code] = 0xee;
    const ev = await createBundleEvaluator(withBytes(b, resealed(bytes)));
    expect(() => ev.evaluate(REQ, ENV)).toThrow(VmError);
    // Rule b alone (another action type) never reaches the broken rule a.
    expect(ev.evaluate(request({ type: 'api.call' }, { tls: true }), ENV)).toEqual({ applicable: ['b'], violated: [] });
  });
});
