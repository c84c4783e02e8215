// Diagnostics as one comparable line each: `line:col severity code: message | help`.
import type { Diagnostic } from '../../src/ir/types.js';

export function lines(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${d.span.line}:${d.span.col} ${d.severity} ${d.code}: ${d.message}${d.help ? ` | ${d.help}` : ''}`);
}
