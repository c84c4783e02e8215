// Raw rules: what a reader (JSON, YAML, MDC) hands to src/ir/normalize.ts. A raw value is a
// JSON-like tree in which every value and every key keeps the place it was written, so that
// normalization can point each diagnostic, and each expression, at its exact source position.

import type { Diagnostic, Span } from '../ir/types.js';
import { Locator } from '../expr/locate.js';

export type RawValue =
  | { kind: 'null'; span: Span }
  | { kind: 'boolean'; value: boolean; span: Span }
  | { kind: 'number'; value: number; span: Span }
  | {
      kind: 'string';
      value: string;
      span: Span;
      /**
       * Where the string's first character sits in the file (after an opening quote), which is
       * where an expression written in this string starts. Defaults to `span`.
       */
      textStart?: Span;
    }
  | { kind: 'list'; items: RawValue[]; span: Span }
  | { kind: 'map'; entries: RawEntry[]; span: Span };

export interface RawEntry {
  key: string;
  keySpan: Span;
  value: RawValue;
}

/** One reader's output: the top-level values it found (one per YAML document) and its complaints. */
export interface ReadResult {
  values: RawValue[];
  diagnostics: Diagnostic[];
}

/** A raw value's type as named in messages (`expected a string, got list`). */
export function rawTypeName(v: RawValue): string {
  return v.kind === 'map' ? 'map' : v.kind;
}

/** The entry for `key` in a raw map, if any (readers reject duplicate keys, so it is unique). */
export function rawGet(map: { entries: RawEntry[] }, key: string): RawEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/**
 * 1-based positions for offsets into one whole file: the expression parser's Locator with its
 * origin at the file's start; `span(at)` without an end is a point.
 */
export class LineIndex {
  private readonly loc: Locator;

  constructor(text: string, private readonly file: string) {
    this.loc = new Locator({ file, line: 1, col: 1 }, text);
  }

  span(start: number, end?: number): Span {
    const s = this.loc.span(start, end ?? start);
    return end === undefined ? { file: this.file, line: s.line, col: s.col } : s;
  }
}

/** Moves every span in a raw tree down by `lines` (for YAML embedded in a Markdown file). */
export function shiftRaw(v: RawValue, lines: number): RawValue {
  const s = (sp: Span): Span => shiftSpan(sp, lines);
  switch (v.kind) {
    case 'list':
      return { kind: 'list', items: v.items.map((i) => shiftRaw(i, lines)), span: s(v.span) };
    case 'map':
      return {
        kind: 'map',
        span: s(v.span),
        entries: v.entries.map((e) => ({ key: e.key, keySpan: s(e.keySpan), value: shiftRaw(e.value, lines) })),
      };
    case 'string':
      return { ...v, span: s(v.span), textStart: v.textStart && s(v.textStart) };
    default:
      return { ...v, span: s(v.span) };
  }
}

export function shiftSpan(sp: Span, lines: number): Span {
  const out: Span = { ...sp, line: sp.line + lines };
  if (sp.endLine !== undefined) out.endLine = sp.endLine + lines;
  return out;
}
