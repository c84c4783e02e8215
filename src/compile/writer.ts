// A little-endian byte writer. The compiler uses it to build bundles; the engine subclasses it
// to write the input region straight into the VM's memory (grow() then grows wasm memory).

export class ByteWriter {
  bytes: Uint8Array;
  view: DataView;
  pos: number;

  constructor(bytes: Uint8Array = new Uint8Array(256), pos = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  /** Make room for `end` bytes in total; the default reallocates to at least double. */
  protected grow(end: number): void {
    const next = new Uint8Array(Math.max(end, this.bytes.length * 2));
    next.set(this.bytes);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  ensure(n: number): void {
    if (this.pos + n > this.bytes.length) this.grow(this.pos + n);
  }

  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  /** Writes `s` as UTF-8 and returns the byte length. ASCII is copied by hand (no allocation). */
  utf8(s: string): number {
    const n = s.length;
    this.ensure(n);
    const start = this.pos;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      this.bytes[start + i] = c;
    }
    if (i === n) {
      this.pos += n;
      return n;
    }
    // Non-ASCII: at most 3 bytes per UTF-16 unit.
    this.pos = start + i;
    this.ensure((n - i) * 3);
    const r = encoder.encodeInto(s.slice(i), this.bytes.subarray(this.pos));
    this.pos += r.written;
    return this.pos - start;
  }
}

const encoder = new TextEncoder();

/** The UTF-8 bytes of a string (compile time). */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}
