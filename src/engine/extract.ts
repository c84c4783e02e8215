// Field extraction: the request values the compiled rules read (the bundle's field table),
// encoded straight into the VM's input region (layout: assembly/format.ts "Input region").
// Only the fields the check's candidate rules can read are written (src/engine/rule-fields.ts
// proves which); every other offset is 0 (null), and the VM never reads those. The request is
// never serialized as a whole.

import { E_FALSE, E_NUM, E_STR, E_STRID, E_TRUE, I_CANDS, I_CAND_OFF, I_FIELDS, I_HEADER } from '../../assembly/format.js';
import type { CheckRequest, Json, PathRef } from '../ir/types.js';
import type { EvaluationEnv } from '../ir/outcome.js';
// The one definition of what a path reads (docs/semantics.md "Paths"), shared with the oracle.
import { readPath } from '../ir/evaluate.js';
import { EncodeError, encodeJson } from '../compile/encode.js';
import { ByteWriter } from '../compile/writer.js';
import { BoundedMemo } from './bounded-memo.js';
import type { RuleIndex } from './rule-index.js';
import { VmError, type VmInstance } from './wasm.js';

/** One check's input may not exceed this many bytes (requests are capped at 64 KiB). */
const MAX_INPUT_BYTES = 16 << 20;

/** What a check with a given candidate set writes: the candidates and the fields they read. */
export interface Plan {
  /** Candidate rule indices, ascending (RuleIndex.candidates of `type`). */
  readonly rules: Uint32Array;
  /** Fields the candidates' code can read, ascending. */
  readonly fields: Uint16Array;
  /** The action type the candidates are for, and its string id (the check encodes it). */
  readonly type: string;
  readonly typeId: number | undefined;
}

/** A ByteWriter over the VM's memory, for lists and objects: growing it grows wasm memory. */
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
  private readonly ids = new Map<string, number>();
  private readonly intern = (s: string): number | undefined => this.ids.get(s);
  /** Per action type; bounded by types and by the fields and rules the plans hold (bounded-memo.ts). */
  private readonly plans = new BoundedMemo<Plan>();
  /** The fields whose offsets the last check wrote (all others are 0). */
  private written: Uint16Array = new Uint16Array(0);
  private u8: Uint8Array;
  private dv: DataView;
  private known: Plan = { rules: new Uint32Array(0), fields: new Uint16Array(0), type: '', typeId: undefined };

  /** `ruleFields[r]`: the fields rule r can read (src/engine/rule-fields.ts). */
  constructor(
    private readonly vm: VmInstance,
    private readonly fields: readonly PathRef[],
    strings: readonly string[],
    private readonly index: RuleIndex,
    private readonly ruleFields: readonly Uint16Array[],
  ) {
    this.w = new MemoryWriter(vm);
    strings.forEach((s, i) => this.ids.set(s, i));
    this.u8 = vm.bytes();
    this.dv = vm.view();
    // The offsets start at 0: a fresh instance's memory is zeroed, but say it rather than rely on it.
    this.u8.fill(0, vm.inputPtr + I_HEADER, vm.inputPtr + I_HEADER + fields.length * 4);
  }

  /** The plan of a check whose action type is `type` (memoized per type, like the index). */
  plan(type: string): Plan {
    let p = this.plans.get(type);
    if (p === undefined) {
      const rules = this.index.candidates(type);
      const read = new Set<number>();
      for (const r of rules) for (const f of this.ruleFields[r] ?? this.fields.keys()) read.add(f);
      p = { rules, fields: Uint16Array.from([...read].sort((a, b) => a - b)), type, typeId: this.ids.get(type) };
      this.plans.set(type, p, p.rules.length + p.fields.length);
    }
    return p;
  }

  /** Write the input region for one check; returns its length in bytes. */
  write(req: CheckRequest, env: EvaluationEnv, plan: Plan): number {
    const base = this.vm.inputPtr;
    this.u8 = this.vm.bytes();
    this.dv = this.vm.view();
    const nf = this.fields.length;
    const cands = plan.rules;
    const fields = plan.fields;
    const candOff = I_HEADER + nf * 4;
    const start = base + candOff + cands.length * 4;
    if (start > this.u8.length) this.grow(start);
    if (this.written !== fields) {
      for (const f of this.written) this.dv.setUint32(base + I_HEADER + f * 4, 0, true);
      this.written = fields;
    }
    this.known = plan;
    let pos = start;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      const v = readPath(this.fields[f], req, env);
      let off = 0;
      if (v !== null && v !== undefined) {
        off = pos - base;
        pos = this.value(v, pos);
      }
      // dv is re-read: encoding may have grown memory.
      this.dv.setUint32(base + I_HEADER + f * 4, off, true);
    }
    const dv = this.dv;
    dv.setUint32(base + I_FIELDS, nf, true);
    dv.setUint32(base + I_CANDS, cands.length, true);
    dv.setUint32(base + I_CAND_OFF, candOff, true);
    for (let i = 0; i < cands.length; i++) dv.setUint32(base + candOff + i * 4, cands[i], true);
    return pos - base;
  }

  /** Encode one value at pos; returns the end. Scalars are written here, the rest by encodeJson. */
  private value(v: Json, pos: number): number {
    switch (typeof v) {
      case 'string': {
        // The action type's id was looked up once, with the plan.
        const id = v === this.known.type ? this.known.typeId : this.ids.get(v);
        if (id !== undefined) {
          if (pos + 5 > this.u8.length) this.grow(pos + 5);
          this.u8[pos] = E_STRID;
          this.dv.setUint32(pos + 1, id, true);
          return pos + 5;
        }
        return this.string(v, pos);
      }
      case 'number':
        if (!Number.isFinite(v)) throw new EncodeError('a number in the request is not finite');
        if (pos + 9 > this.u8.length) this.grow(pos + 9);
        this.u8[pos] = E_NUM;
        this.dv.setFloat64(pos + 1, v, true);
        return pos + 9;
      case 'boolean':
        if (pos + 1 > this.u8.length) this.grow(pos + 1);
        this.u8[pos] = v ? E_TRUE : E_FALSE;
        return pos + 1;
      default: {
        const w = this.w;
        w.rebind(pos);
        encodeJson(w, v, this.intern);
        this.u8 = w.bytes;
        this.dv = w.view;
        return w.pos;
      }
    }
  }

  /** A string no constant equals: tag, byte length, then its UTF-8 (ByteWriter.utf8). */
  private string(s: string, pos: number): number {
    const w = this.w;
    w.rebind(pos + 5);
    const len = w.utf8(s);
    this.u8 = w.bytes;
    this.dv = w.view;
    this.u8[pos] = E_STR;
    this.dv.setUint32(pos + 1, len, true);
    return w.pos;
  }

  /** Room up to `end`, grown by the writer (one place knows the limit and how memory grows). */
  private grow(end: number): void {
    this.w.rebind(end);
    this.w.ensure(0);
    this.u8 = this.w.bytes;
    this.dv = this.w.view;
  }
}

