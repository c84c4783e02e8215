// Where each character of a string value is written in its file. A YAML or JSON string's value
// is not its source text: escapes, doubled quotes, block indentation and folded lines all shift
// it. To place an expression error at the character the author wrote, the value and its source
// are walked side by side.

import type { Span } from '../ir/types.js';

/** How the scalar was written: which escapes its source can hold. */
export type Quoting = 'plain' | 'single' | 'double';

/** Where value characters `[start, end)` are written. */
export type TextPositions = (start: number, end: number) => Span;

const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Source characters an escape at `p` (a backslash) spans, and value UTF-16 units it gives. */
function escapeAt(src: string, p: number): { width: number; gives: number } {
  const c = src[p + 1];
  if (c === '\n') return { width: 2, gives: 0 }; // YAML escaped line break
  if (c === '\r') return { width: src[p + 2] === '\n' ? 3 : 2, gives: 0 };
  const digits = HEX_DIGITS[c];
  if (digits === undefined) return { width: 2, gives: 1 };
  const code = parseInt(src.slice(p + 2, p + 2 + digits), 16);
  return { width: 2 + digits, gives: code > 0xffff ? 2 : 1 };
}

/**
 * `offsets[i]` is the source offset value character `i` comes from; `offsets[value.length]` is
 * where the value ends. `from` is the first content character (after a quote, or at the start
 * of a block scalar's first content line). Where the walk cannot follow the source, the rest
 * of the value is placed at the last position found: close, never wrong by more than a line.
 */
export function valueOffsets(src: string, from: number, to: number, value: string, quoting: Quoting): Int32Array {
  const out = new Int32Array(value.length + 1);
  let p = from;
  let i = 0;
  while (i < value.length && p < to) {
    const s = src[p];
    if (quoting === 'double' && s === '\\') {
      const { width, gives } = escapeAt(src, p);
      for (let k = 0; k < gives && i < value.length; k++) out[i++] = p;
      p += width;
      // An escaped line break drops the next line's indentation (YAML), which must not be
      // matched to a value space that comes from an escape after it (`\⏎  \ x`).
      if (gives === 0) while (src[p] === ' ' || src[p] === '\t') p++;
    } else if (quoting === 'single' && s === "'" && src[p + 1] === "'") {
      out[i++] = p;
      p += 2;
    } else if (s === value[i]) {
      out[i++] = p++;
    } else if (s === '\n' || s === '\r') {
      // A folded line break gives a space, or a kept one a newline; indentation is dropped.
      if (value[i] === ' ' || value[i] === '\n') out[i++] = p;
      p++;
    } else if (s === ' ' || s === '\t') {
      p++;
    } else {
      break;
    }
  }
  const last = Math.min(p, to);
  for (; i <= value.length; i++) out[i] = last;
  return out;
}

/**
 * Positions for a value whose source is `src[from, to)`, placed by `at` (source offsets to a
 * span); computed on first use, since only expressions need them.
 */
export function textPositions(src: string, from: number, to: number, value: string, quoting: Quoting, at: (start: number, end: number) => Span): TextPositions {
  let offsets: Int32Array | undefined;
  return (start, end) => {
    offsets ??= valueOffsets(src, from, to, value, quoting);
    const a = offsets[Math.max(0, Math.min(start, value.length))];
    const b = end > start ? offsets[Math.min(end, value.length) - 1] + 1 : a;
    return at(a, Math.max(a, b));
  };
}
