// YAML rule files → raw values with the span of every key and value (SPEC §3.2). Uses the `yaml`
// package's document nodes, whose ranges are offsets into the text; several `---` documents give
// several values. Syntax errors become diagnostics at their line and column.

import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Node, type YAMLError } from 'yaml';
import { textPositions, type TextPositions } from './text-positions.js';
import type { Diagnostic, Span } from '../ir/types.js';
import { yamlTooDeepAt } from './yaml-depth.js';
import { LineIndex, unsafeNumber, type RawEntry, type RawValue, type ReadResult } from './raw.js';

/** Deeper nesting is refused, like in JSON (see yaml-depth.ts for why it is checked first). */
export const MAX_YAML_DEPTH = 128;
const MAX_ERRORS_PER_DOCUMENT = 10;

/**
 * @example readYaml('rule_id: a\n---\nrule_id: b\n', 'r.yaml').values.length // 2
 */
export function readYaml(text: string, file: string, firstLine = 1): ReadResult {
  const lines = new LineIndex(text, file, firstLine);
  const diagnostics: Diagnostic[] = [];
  const values: RawValue[] = [];
  const tooDeepAt = yamlTooDeepAt(text, MAX_YAML_DEPTH);
  if (tooDeepAt >= 0) {
    const message = `nesting deeper than ${MAX_YAML_DEPTH} levels (indentation and brackets count)`;
    return { values: [], diagnostics: [{ severity: 'error', code: 'yaml-syntax', message, span: lines.span(tooDeepAt) }] };
  }
  // YAML 1.2 counts a lone CR as a line break, the `yaml` package reads it as part of a line
  // (`rule_id: a⏎` gave the id `a\r`; two lines became one): the file is refused, plainly.
  const loneCr = text.search(/\r(?!\n)/);
  if (loneCr >= 0) {
    const message = 'a lone carriage return (CR) ends a line here: MGE reads YAML lines ended by LF or CR LF';
    const help = 'save the file with LF (Unix) or CR LF (Windows) line endings; in a quoted string write `\\r`';
    return { values: [], diagnostics: [{ severity: 'error', code: 'line-endings', message, help, span: lines.span(loneCr) }] };
  }
  // uniqueKeys off: the package compares every key with every earlier one (quadratic: 5000 keys
  // took seconds); the Converter finds duplicates with a set instead.
  const docs = withoutStackTraces(() => parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, schema: 'core' }));
  for (const doc of Array.isArray(docs) ? docs : []) {
    // One real error cascades into many; the first few say all there is to say.
    for (const e of doc.errors.slice(0, MAX_ERRORS_PER_DOCUMENT)) diagnostics.push(yamlDiagnostic(e, 'error', lines, text));
    for (const w of doc.warnings.slice(0, MAX_ERRORS_PER_DOCUMENT)) diagnostics.push(yamlDiagnostic(w, 'warning', lines, text));
    // After a syntax error the recovered tree is guesswork; normalizing it would only add noise.
    if (doc.errors.length > 0 || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    const v = new Converter(text, lines, diagnostics).convert(doc.contents, 0);
    if (v) values.push(v);
  }
  return { values, diagnostics };
}

/**
 * The package makes an Error object per syntax error, and capturing each one's stack trace
 * dominated hostile input (`[][]…` over 60 KB: 20 000 errors, seconds). We never read those
 * stacks, so traces are off for the synchronous parse. (`stackTraceLimit` is V8's; elsewhere
 * setting it is a harmless no-op.)
 */
function withoutStackTraces<T>(f: () => T): T {
  const E = Error as { stackTraceLimit?: number };
  const saved = E.stackTraceLimit;
  E.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    E.stackTraceLimit = saved;
  }
}

function yamlDiagnostic(e: YAMLError, severity: 'error' | 'warning', lines: LineIndex, text: string): Diagnostic {
  // An error found only at the end of the text (an unclosed `[`, say) is placed after its last
  // character, not on the empty line past the final newline, which no editor shows.
  const end = text.trimEnd().length;
  const start = Math.min(e.pos[0], end);
  const span = lines.span(start, Math.max(start, Math.min(e.pos[1], end)));
  return { severity, code: 'yaml-syntax', message: cedarMessage(e.message), span };
}

/**
 * Messages of the `yaml` package that quote the user's text, rewritten to put it in backticks
 * (its own messages are sentences with the text bare, sometimes ending in a period of theirs).
 */
const QUOTING: [RegExp, string][] = [
  [/^Block scalar header includes extra characters: (.*)$/, 'block scalar header includes extra characters: `$1`'],
  [/^Unresolved tag: (.*)$/, 'unresolved tag `$1`'],
  [/^Not a valid tag: (.*)$/, 'invalid tag `$1`'],
  [/^Could not resolve tag: (.*)$/, 'unresolved tag `$1`'],
  [/^Invalid escape sequence (.*)$/, 'invalid escape sequence `$1`'],
  [/^Plain value cannot start with (.*)$/, 'a plain value cannot start with `$1`'],
  [/^Unknown directive (.*)$/, 'unknown directive `$1`'],
  [/^Unsupported YAML version (.*)$/, 'unsupported YAML version `$1`'],
];

/** Our style: lowercase start, no final period, user text in backticks. */
export function cedarMessage(m: string): string {
  const first = m.split('\n')[0];
  for (const [re, out] of QUOTING) if (re.test(first)) return first.replace(re, out);
  let end = first.length;
  while (end > 0 && (first[end - 1] === '.' || first[end - 1] === ':' || first[end - 1] === ' ')) end--;
  const text = first.slice(0, end);
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

class Converter {
  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
    private readonly diagnostics: Diagnostic[],
  ) {}

  convert(node: unknown, depth: number): RawValue | undefined {
    const span = this.spanOf(node);
    if (depth > MAX_YAML_DEPTH) return this.error(span, 'yaml-syntax', `nesting deeper than ${MAX_YAML_DEPTH} levels`);
    if (isAlias(node)) {
      return this.error(span, 'yaml-alias', `alias \`*${node.source}\` is not supported in rule files`, 'write the value out in full');
    }
    if (isScalar(node)) return this.scalar(node.value, node.type, node.range, span, node.tag);
    if (isSeq(node)) {
      const items: RawValue[] = [];
      for (const item of node.items) {
        const v = this.convert(item, depth + 1);
        if (v) items.push(v);
      }
      return { kind: 'list', items, span };
    }
    if (isMap(node)) {
      const entries: RawEntry[] = [];
      const seen = new Map<string, RawEntry>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keySpan = this.spanOf(pair.key);
        if (!isScalar(pair.key) || typeof pair.key.value === 'object' && pair.key.value !== null) {
          this.error(keySpan, 'invalid-key', 'a map key must be a plain value');
          continue;
        }
        const key = String(pair.key.value);
        const first = seen.get(key);
        if (first) {
          this.error(keySpan, 'duplicate-key', `duplicate key \`${key}\``,
            `first given at line ${first.keySpan.line}, column ${first.keySpan.col}`);
          continue;
        }
        const value = pair.value === null
          ? { kind: 'null' as const, span: { ...keySpan, line: keySpan.endLine ?? keySpan.line, col: keySpan.endCol ?? keySpan.col } }
          : this.convert(pair.value, depth + 1);
        if (!value) continue;
        const entry = { key, keySpan, value };
        seen.set(key, entry);
        entries.push(entry);
      }
      return { kind: 'map', entries, span };
    }
    return this.error(span, 'invalid-type', 'unsupported YAML value');
  }

  private scalar(value: unknown, type: string | undefined, range: Node['range'], span: Span, tag: string | undefined): RawValue | undefined {
    if (value === null || value === undefined) return { kind: 'null', span };
    if (typeof value === 'boolean') return { kind: 'boolean', value, span };
    if (typeof value === 'number') {
      // `0755` is 755 to a YAML 1.2 reader (this one) and 493 to a YAML 1.1 one (octal), `0o755`
      // 493 and a string: a limit two readers of the rule disagree on (it
      // would load silently). Hex (`0x10`) reads the same in both.
      const source = type === 'PLAIN' && range ? this.text.slice(range[0], range[1]) : '';
      // Kept as read as well, so the field it sets is not also reported missing.
      if (/^[-+]?0(?:[0-9]+|o[0-7]+)$/i.test(source)) {
        this.error(span, 'yaml-ambiguous-number', `\`${source}\` reads as ${value} here and as another number or a string to a YAML 1.1 reader (a leading zero is octal there)`, `write it in decimal without a leading zero (\`${value}\`), or quote it if it is text`);
      }
      // Plain floats YAML 1.1 (PyYAML) reads as strings: `3e1` or `1.5e3` (its floats need a
      // dot and a signed exponent), `-.5` (a sign needs a digit after it); 30, 1500 and -0.5
      // here. `!!float 3e1` is a float to both.
      const disagrees = tag === FLOAT_TAG ? undefined : yaml11Disagreement(source);
      if (disagrees !== undefined) {
        this.error(span, 'yaml-ambiguous-number', `\`${source}\` reads as ${value} here and as a string to a YAML 1.1 reader (${disagrees})`, `write it as \`${yaml11Float(value)}\`, or quote it if it is text`);
      }
      // As JSON rules and requests refuse them (a whole number a double rounds, one that
      // overflows it); `.inf` is written on purpose and left to the field's own check.
      const unsafe = /^[-+]?(?:[0-9]|\.[0-9])/.test(source) ? unsafeNumber(source, value, /^[-+]?[0-9]+$/.test(source)) : undefined;
      if (unsafe !== undefined) this.error(span, 'invalid-number', unsafe);
      return { kind: 'number', value, span };
    }
    if (typeof value === 'string') return { kind: 'string', value, span, textStart: this.textStart(type, range, span), ...this.textAt(value, type, range) };
    return this.error(span, 'invalid-type', 'unsupported YAML value; rules use strings, numbers, booleans, null, lists and maps');
  }

  /** Where a string's first character is: after a quote, or on the first line of a block scalar. */
  private textStart(type: string | undefined, range: Node['range'], span: Span): Span {
    if (!range) return span;
    if (type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE') return this.lines.span(range[0] + 1);
    if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') {
      let p = this.text.indexOf('\n', range[0]);
      if (p < 0) return span;
      p++;
      while (p < range[1]) {
        const eol = this.text.indexOf('\n', p);
        const line = this.text.slice(p, eol < 0 ? undefined : eol);
        if (line.trim() !== '') return this.lines.span(p + (line.length - line.trimStart().length));
        if (eol < 0) break;
        p = eol + 1;
      }
    }
    return this.lines.span(range[0]);
  }

  /** Positions of the value's characters, walked against the scalar's source. */
  private textAt(value: string, type: string | undefined, range: Node['range']): { textAt?: TextPositions } {
    if (!range) return {};
    const at = (a: number, b: number) => this.lines.span(a, b);
    switch (type) {
      case 'QUOTE_DOUBLE':
        return { textAt: textPositions(this.text, range[0] + 1, range[1] - 1, value, 'double', at) };
      case 'QUOTE_SINGLE':
        return { textAt: textPositions(this.text, range[0] + 1, range[1] - 1, value, 'single', at) };
      case 'BLOCK_LITERAL':
      case 'BLOCK_FOLDED': {
        const body = this.text.indexOf('\n', range[0]);
        return body < 0 || body >= range[1] ? {} : { textAt: textPositions(this.text, body + 1, range[1], value, 'plain', at) };
      }
      default:
        return { textAt: textPositions(this.text, range[0], range[1], value, 'plain', at) };
    }
  }

  private spanOf(node: unknown): Span {
    const range = (node as { range?: Node['range'] } | null)?.range;
    return range ? this.lines.span(range[0], range[1]) : this.lines.span(0);
  }

  private error(span: Span, code: string, message: string, help?: string): undefined {
    this.diagnostics.push({ severity: 'error', code, message, span, ...(help ? { help } : {}) });
    return undefined;
  }
}

/** YAML's float tag (`!!float`): the SDK's YAML writer tags its numbers with it too. */
export const FLOAT_TAG = 'tag:yaml.org,2002:float';

/** Why YAML 1.1 (PyYAML's resolver) reads a plain number of YAML 1.2's as a string, if it does. */
function yaml11Disagreement(source: string): string | undefined {
  if (/^[-+]?(?:[0-9]|\.[0-9])[0-9.]*e/i.test(source) && !/\..*e[-+]/i.test(source)) return 'its floats need a dot and a signed exponent';
  if (/^[-+]\.[0-9]/.test(source)) return 'a sign before the dot needs a digit between them';
  return undefined;
}

/** A number as both YAML 1.1 and 1.2 read it: `30`, `1.0e+300` (the SDK writes numbers so). */
export function yaml11Float(value: number): string {
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const mantissa = text.slice(0, e);
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}${text.slice(e)}`;
}
