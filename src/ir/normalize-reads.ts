// Typed reads of raw values for normalization: each read either yields a value or records an
// error at the value's span and yields undefined, so normalization goes on and reports every
// problem of a file in one pass (Cedar's habit: collect, do not throw).

import { didYouMean } from '../diagnostics/did-you-mean.js';
import { parseExpression } from '../expr/parser.js';
import { neverBoolean } from '../expr/yields.js';
import type { Diagnostic, SourceExpr, Span } from './types.js';
import { rawTypeName, type RawEntry, type RawValue } from '../rules/raw.js';

export type RawMap = Extract<RawValue, { kind: 'map' }>;

/** `a`, `b` and `c` — for help texts that list the allowed words. */
export function listWords(words: readonly string[]): string {
  const q = words.map((w) => '`' + w + '`');
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * Nothing a reader sees: white space, format characters (U+200B, U+FEFF, U+00AD…), controls,
 * default-ignorable code points (U+3164, U+115F, U+034F, U+FE0F…) and the blank braille cell.
 */
const INVISIBLE = /^[\p{White_Space}\p{Cf}\p{Cc}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/**
 * What can split a message or make it read as something else where a denial is shown: controls
 * (NUL, ESC, …; tab and line breaks are text) and bidirectional formatting (U+202E turns what
 * follows around on screen, U+2066–U+2069, the marks U+200E, U+200F, U+061C).
 */
const DISGUISING = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const TEXT_CONTROLS = new Set(['\t', '\n', '\r']);

function disguisingCharacter(text: string): string | undefined {
  if (!DISGUISING.test(text)) return undefined;
  for (const ch of text) {
    if (DISGUISING.test(ch) && !TEXT_CONTROLS.has(ch)) return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

export class FieldReader {
  readonly diagnostics: Diagnostic[] = [];

  error(span: Span, code: string, message: string, help?: string): void {
    this.diagnostics.push({ severity: 'error', code, message, span, ...(help ? { help } : {}) });
  }

  warn(span: Span, code: string, message: string, help?: string): void {
    this.diagnostics.push({ severity: 'warning', code, message, span, ...(help ? { help } : {}) });
  }

  errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === 'error').length;
  }

  private typeError(v: RawValue, label: string, expected: string, code: string): undefined {
    this.error(v.span, code, `\`${label}\` must be ${expected}, got ${rawTypeName(v)}`);
    return undefined;
  }

  string(v: RawValue, label: string, code = 'invalid-type'): string | undefined {
    return v.kind === 'string' ? v.value : this.typeError(v, label, 'a string', code);
  }

  /**
   * A clause's message: a string with something in it, as every violation must say why. Only
   * spaces and invisible characters (a zero-width space, a BOM, a soft hyphen) is empty too: a
   * reader of the denial would see nothing.
   */
  message(v: RawValue, label: string, code = 'invalid-type'): string | undefined {
    const text = this.string(v, label, code);
    if (text === undefined) return text;
    if (INVISIBLE.test(text)) {
      this.error(v.span, 'invalid-value', `\`${label}\` is empty, so a denial would not say why`, 'write what the clause is about, or leave the message out to report the expression');
      return undefined;
    }
    const hidden = disguisingCharacter(text);
    if (hidden !== undefined) {
      // Loaded as written (JSON answers and logs escape it), but said: a reviewer reads the file.
      this.warn(v.span, 'message-control-character', `\`${label}\` holds ${hidden}, a control or bidirectional-formatting character: where the denial is shown it can cut the text or make it read otherwise`, 'write the message in plain text');
    }
    return text;
  }

  boolean(v: RawValue, label: string, code = 'invalid-type'): boolean | undefined {
    return v.kind === 'boolean' ? v.value : this.typeError(v, label, 'a boolean (`true` or `false`)', code);
  }

  /** A finite number (YAML's `.inf` and JSON's `1e999` are not). */
  number(v: RawValue, label: string, code = 'invalid-type'): number | undefined {
    if (v.kind === 'number' && Number.isFinite(v.value)) return v.value;
    return this.typeError(v, label, 'a finite number', code);
  }

  list(v: RawValue, label: string, code = 'invalid-type'): RawValue[] | undefined {
    return v.kind === 'list' ? v.items : this.typeError(v, label, 'a list', code);
  }

  map(v: RawValue, label: string, code = 'invalid-type'): RawMap | undefined {
    return v.kind === 'map' ? v : this.typeError(v, label, 'a map', code);
  }

  /** A list of strings; every bad item is reported, and then the whole list is undefined. */
  stringList(v: RawValue, label: string, code = 'invalid-type'): { value: string; span: Span }[] | undefined {
    const items = this.list(v, label, code);
    if (!items) return undefined;
    const out: { value: string; span: Span }[] = [];
    let ok = true;
    items.forEach((item, i) => {
      const s = this.string(item, `${label}[${i}]`, code);
      if (s === undefined) ok = false;
      else out.push({ value: s, span: item.span });
    });
    return ok ? out : undefined;
  }

  /** One of a fixed set of words, with a did-you-mean for near misses. */
  oneOf<T extends string>(v: RawValue, label: string, allowed: readonly T[]): T | undefined {
    const s = this.string(v, label);
    if (s === undefined) return undefined;
    if ((allowed as readonly string[]).includes(s)) return s as T;
    const near = didYouMean(s, allowed);
    this.error(v.span, 'invalid-value', `\`${label}\` must be ${listWords(allowed)}, got \`${s}\``,
      near ? `did you mean \`${near}\`?` : undefined);
    return undefined;
  }

  /** Reports every key of `map` not in `known`; `what` names it in the message. */
  unknownKeys(map: RawMap, known: readonly string[], describe: (key: string) => string, code = 'unknown-field'): void {
    for (const e of map.entries) {
      if (known.includes(e.key)) continue;
      const near = didYouMean(e.key, known);
      this.error(e.keySpan, code, describe(e.key), near ? `did you mean \`${near}\`?` : `expected ${listWords(known)}`);
    }
  }

  /** An expression written in a string value, parsed at the string's exact place in the file. */
  expr(v: RawValue, label: string, code = 'invalid-type'): SourceExpr | undefined {
    const text = this.string(v, label, code);
    if (text === undefined || v.kind !== 'string') return undefined;
    // Trailing whitespace only moves "end of input" onto the next line (YAML block scalars end in \n).
    const parsed = parseExpression(text.trimEnd(), v.textAt ?? v.textStart ?? v.span);
    for (const d of parsed.diagnostics) this.diagnostics.push(d);
    return parsed.expr ? { source: text.trim(), expr: parsed.expr } : undefined;
  }

  /**
   * An expression that must be true or false (a clause, a scope, an `expression` condition).
   * One whose form says it never is (`action.cost * 2`, `len(x)`, `"yes"`) is refused here: it
   * errored on every request it was evaluated for, so every check in its scope was denied, and
   * lint said nothing.
   */
  test(v: RawValue, label: string, code?: string): SourceExpr | undefined {
    const e = this.expr(v, label, code);
    const yields = e && neverBoolean(e.expr);
    if (yields === undefined) return e;
    this.error(e!.expr.span, 'not-a-test', `\`${label}\` is ${yields}, never true or false: every check it is evaluated for would be denied with an evaluation error`,
      'compare it (`action.cost * 2 > 100`), or name a boolean field alone (`context.approved`)');
    return undefined;
  }
}

/** The entries of a raw map by key; a `null` value counts as absent (YAML's `description:`). */
export function present(map: RawMap): Map<string, RawEntry> {
  const out = new Map<string, RawEntry>();
  for (const e of map.entries) if (e.value.kind !== 'null') out.set(e.key, e);
  return out;
}
