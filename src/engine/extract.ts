// Field extraction: the request values the compiled rules read (the bundle's field table),
// encoded straight into the VM's input region (layout: assembly/format.ts "Input region").
// Only those paths are read; the request is never serialized as a whole.

import { I_CANDS, I_CAND_OFF, I_FIELDS, I_HEADER } from '../../assembly/format.js';
import type { CheckRequest, PathRef } from '../ir/types.js';
import type { EvaluationEnv } from './outcome.js';
// The one definition of what a path reads (docs/semantics.md "Paths"), shared with the oracle.
import { readPath } from '../ir/evaluate.js';
import { encodeJson, type Intern } from '../compile/encode.js';
import { ByteWriter } from '../compile/writer.js';
import { VmError, type VmInstance } from './wasm.js';

/** One check's input may not exceed this many bytes (requests are capped at 64 KiB). */
export const MAX_INPUT_BYTES = 16 << 20;

/** A ByteWriter over the VM's memory: growing it grows wasm memory. */
class MemoryWriter extends ByteWriter {
  constructor(private readonly vm: VmInstance) {
    super(vm.bytes(), 0);
  }

  /** Point at current memory (it may have grown inside the VM since the last check). */
  rebind(pos: number): void {
    const b = this.vm.bytes();
    if (b !== this.bytes) {
      this.bytes = b;
      this.view = this.vm.view();
    }
    this.pos = pos;
  }

  protected override grow(end: number): void {
    if (end - this.vm.inputPtr > MAX_INPUT_BYTES) throw new VmError('request too large for the VM input region');
    this.vm.ensure(end + 65536);
    this.bytes = this.vm.bytes();
    this.view = this.vm.view();
  }
}

export class Extractor {
  private readonly w: MemoryWriter;
  private readonly intern: Intern;

  constructor(
    private readonly vm: VmInstance,
    private readonly fields: readonly PathRef[],
    strings: readonly string[],
  ) {
    this.w = new MemoryWriter(vm);
    const ids = new Map<string, number>();
    strings.forEach((s, i) => ids.set(s, i));
    this.intern = (s) => ids.get(s);
  }

  /** Write the input region for one check; returns its length in bytes. */
  write(req: CheckRequest, env: EvaluationEnv, candidates: Uint32Array): number {
    const base = this.vm.inputPtr;
    const w = this.w;
    const nf = this.fields.length;
    const candOff = I_HEADER + nf * 4;
    w.rebind(base + candOff + candidates.length * 4);
    w.ensure(0);
    for (let i = 0; i < nf; i++) {
      const v = readPath(this.fields[i], req, env);
      let off = 0;
      if (v !== null && v !== undefined) {
        off = w.pos - base;
        encodeJson(w, v, this.intern);
      }
      // w.view is re-read each time: encoding may have grown memory.
      w.view.setUint32(base + I_HEADER + i * 4, off, true);
    }
    const dv = w.view;
    dv.setUint32(base + I_FIELDS, nf, true);
    dv.setUint32(base + I_CANDS, candidates.length, true);
    dv.setUint32(base + I_CAND_OFF, candOff, true);
    for (let i = 0; i < candidates.length; i++) dv.setUint32(base + candOff + i * 4, candidates[i], true);
    return w.pos - base;
  }
}
