// Shared views for the reader tests.
import type { Diagnostic } from '../../src/ir/types.js';
import type { RawValue } from '../../src/rules/raw.js';

/** Diagnostics as one comparable line each: `line:col severity code: message | help`. */

export function lines(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${d.span.line}:${d.span.col} ${d.severity} ${d.code}: ${d.message}${d.help ? ` | ${d.help}` : ''}`);
}

/** A plain JS view of a raw value, to compare whole structures. */
export function plain(v: RawValue): unknown {
  switch (v.kind) {
    case 'null': return null;
    case 'list': return v.items.map(plain);
    case 'map': return Object.fromEntries(v.entries.map((e) => [e.key, plain(e.value)]));
    default: return v.value;
  }
}
