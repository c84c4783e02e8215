// The code buffer of a bundle: instructions with forward jumps patched when their label is
// bound, interned strings, encoded constant values, and the side table of source spans.

import { Op } from '../../assembly/opcodes.js';
import type { Json, Span } from '../ir/types.js';
import { encodeJson } from './encode.js';
import { CompileError } from './errors.js';
import { ByteWriter } from './writer.js';

/** Limits of one bundle (each a plain compile error with a test). */
export const LIMITS = {
  strings: 1 << 20,
  codeBytes: 1 << 28,
  constantBytes: 1 << 28,
  fields: 0xffff,
  listItems: 0xffff,
  clausesPerRule: 0xffff,
} as const;

export interface Label {
  at: number; // -1 until bound
  patches: number[];
}

/** One entry of the span side table: code from `offset` on belongs to this source place. */
export interface SpanEntry {
  offset: number;
  rule: number;
  span: Span;
}

export class Emitter {
  readonly code = new ByteWriter();
  readonly values = new ByteWriter();
  readonly strings: string[] = [];
  readonly spans: SpanEntry[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly constants = new Map<string, number>();
  rule = 0;

  get offset(): number {
    return this.code.pos;
  }

  op(op: Op): void {
    this.code.u8(op);
  }

  u8(v: number): void {
    this.code.u8(v);
  }

  u16(v: number, what: keyof typeof LIMITS): void {
    if (v > LIMITS[what]) throw new CompileError(`too many ${what} (at most ${LIMITS[what]})`);
    this.code.u16(v);
  }

  u32(v: number): void {
    this.code.u32(v);
  }

  f64(v: number): void {
    this.code.f64(v);
  }

  /** The id of an interned string (ids in order of first use, so bytes are deterministic). */
  str(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      if (id >= LIMITS.strings) throw new CompileError(`too many string constants (at most ${LIMITS.strings})`);
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** The offset of an encoded constant value (deduplicated by its JSON text). */
  constant(v: Json): number {
    const key = JSON.stringify(v);
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const at = this.values.pos;
    encodeJson(this.values, v, (s) => this.str(s));
    if (this.values.pos > LIMITS.constantBytes) throw new CompileError('too many constant bytes');
    this.constants.set(key, at);
    return at;
  }

  label(): Label {
    return { at: -1, patches: [] };
  }

  /** A u32 code offset operand; patched when the label is bound if it is not yet. */
  target(l: Label): void {
    if (l.at < 0) l.patches.push(this.code.pos);
    this.code.u32(Math.max(l.at, 0));
  }

  jump(op: Op.Jump | Op.JumpIfFalse | Op.JumpIfTrue | Op.AndTest | Op.OrTest, l: Label): void {
    this.op(op);
    this.target(l);
  }

  bind(l: Label): void {
    l.at = this.code.pos;
    for (const p of l.patches) this.code.patchU32(p, l.at);
    l.patches.length = 0;
  }

  /** Record that the code from here on comes from `span` (positions never enter the bytes). */
  at(span: Span): void {
    this.spans.push({ offset: this.code.pos, rule: this.rule, span });
  }

  /** The finished code: padded so the VM's one bounds check per instruction covers operands. */
  finish(): Uint8Array {
    if (this.code.pos > LIMITS.codeBytes) throw new CompileError('the compiled code is too large');
    for (let i = 0; i < 9; i++) this.code.u8(0);
    return this.code.bytes.slice(0, this.code.pos);
  }
}
