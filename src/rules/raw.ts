// Raw rules: what a reader (JSON, YAML, MDC) hands to src/ir/normalize.ts. A raw value is a
// JSON-like tree in which every value and every key keeps the place it was written, so that
// normalization can point each diagnostic, and each expression, at its exact source position.

import type { Diagnostic, Span } from '../ir/types.js';
import { Locator } from '../expr/locate.js';
import type { TextPositions } from './text-positions.js';

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
      /**
       * Where value characters `[start, end)` are written, when escapes or folded lines make
       * the value differ from its source text (src/rules/text-positions.ts).
       */
      textAt?: TextPositions;
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
  // "must be a finite number, got number" said nothing of YAML's `.inf` or `.nan`.
  if (v.kind === 'number' && !Number.isFinite(v.value)) return Number.isNaN(v.value) ? 'NaN' : `${v.value < 0 ? 'minus ' : ''}infinity`;
  return v.kind === 'map' ? 'map' : v.kind;
}

/**
 * Why a number written as `source` cannot be kept as read (`invalid-number`): it overflows a
 * double, or it is whole and a double rounds it. One wording for the JSON and YAML readers, as
 * requests are refused (src/json/strict-parse.ts).
 */
export function unsafeNumber(source: string, value: number, whole: boolean): string | undefined {
  if (!Number.isFinite(value)) return `number \`${source}\` overflows a double`;
  if (whole && !Number.isSafeInteger(value)) return `integer \`${source}\` is beyond ±(2^53−1): a double rounds it to ${value}`;
  return undefined;
}

/** The entry for `key` in a raw map, if any (readers reject duplicate keys, so it is unique). */
export function rawGet(map: { entries: RawEntry[] }, key: string): RawEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/**
 * 1-based positions for offsets into a text: the expression parser's Locator with its origin at
 * column 1 of the text's first line; `span(at)` without an end is a point.
 */
export class LineIndex {
  private readonly loc: Locator;

  /** `firstLine` is the file line the text starts on (YAML embedded in Markdown starts below line 1). */
  constructor(text: string, private readonly file: string, firstLine = 1) {
    this.loc = new Locator({ file, line: firstLine, col: 1 }, text);
  }

  span(start: number, end?: number): Span {
    const s = this.loc.span(start, end ?? start);
    return end === undefined ? { file: this.file, line: s.line, col: s.col } : s;
  }
}
