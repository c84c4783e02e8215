// JSON rule files → raw values with the span of every key and value (SPEC §3.2).
// JSON.parse forgets positions and silently keeps the last of duplicate keys, so this is a small
// recursive-descent parser (RFC 8259) that remembers both. It stops at the first syntax error
// (what follows a JSON syntax error has no reliable structure) but keeps collecting duplicates.

import { textPositions } from './text-positions.js';
import type { Diagnostic } from '../ir/types.js';
import { LineIndex, unsafeNumber, type RawEntry, type RawValue, type ReadResult } from './raw.js';

/** Deeper nesting is refused rather than risking the call stack on hostile input. */
export const MAX_JSON_DEPTH = 128;

class JsonSyntaxError extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * @example readJson('{"rule_id": "a"}', 'a.json').values[0].kind // 'map'
 */
export function readJson(text: string, file: string): ReadResult {
  const lines = new LineIndex(text, file);
  const diagnostics: Diagnostic[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(at, message);
  };
  const skipWs = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const unexpected = (): never =>
    i >= text.length ? fail('unexpected end of input') : fail(`unexpected character \`${shownChar(text, i)}\``);
  // JSON has no trailing comma; JavaScript and YAML flow lists do, so it is named as such.
  const noTrailingComma = (close: string): void => {
    const comma = i - 1;
    skipWs();
    if (text[i] === close) fail(`trailing comma before \`${close}\`: JSON allows none`, comma);
  };
  const expect = (ch: string, what: string): void => {
    skipWs();
    if (text[i] !== ch) fail(`expected ${what}, found ${i >= text.length ? 'end of input' : '`' + shownChar(text, i) + '`'}`);
    i++;
  };

  const value = (depth: number): RawValue => {
    if (depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    skipWs();
    const start = i;
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return list(depth);
    if (c === '"') {
      const s = string();
      // Escapes (`\"`, `\u00e9`) make the value shorter than its source: place characters by walking both.
      const textAt = s.length === i - start - 2 ? undefined : textPositions(text, start + 1, i - 1, s, 'double', (a, b) => lines.span(a, b));
      return { kind: 'string', value: s, span: lines.span(start, i), textStart: lines.span(start + 1), ...(textAt ? { textAt } : {}) };
    }
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        const span = lines.span(start, i);
        return v === null ? { kind: 'null', span } : { kind: 'boolean', value: v, span };
      }
    }
    return unexpected();
  };

  const object = (depth: number): RawValue => {
    const start = i++;
    const entries: RawEntry[] = [];
    const seen = new Map<string, RawEntry>();
    skipWs();
    if (text[i] === '}') {
      i++;
      return { kind: 'map', entries, span: lines.span(start, i) };
    }
    for (;;) {
      skipWs();
      if (text[i] !== '"') fail(i >= text.length ? 'unexpected end of input' : `expected a string key, found \`${shownChar(text, i)}\``);
      const keyStart = i;
      const key = string();
      const keySpan = lines.span(keyStart, i);
      expect(':', '`:` after the key');
      const v = value(depth + 1);
      const first = seen.get(key);
      if (first) {
        diagnostics.push({
          severity: 'error',
          code: 'duplicate-key',
          message: `duplicate key \`${key}\``,
          help: `first given at line ${first.keySpan.line}, column ${first.keySpan.col}`,
          span: keySpan,
        });
      } else {
        const entry = { key, keySpan, value: v };
        seen.set(key, entry);
        entries.push(entry);
      }
      skipWs();
      if (text[i] === ',') { i++; noTrailingComma('}'); continue; }
      if (text[i] === '}') { i++; break; }
      fail(i >= text.length ? 'unexpected end of input' : `expected \`,\` or \`}\`, found \`${shownChar(text, i)}\``);
    }
    return { kind: 'map', entries, span: lines.span(start, i) };
  };

  const list = (depth: number): RawValue => {
    const start = i++;
    const items: RawValue[] = [];
    skipWs();
    if (text[i] === ']') {
      i++;
      return { kind: 'list', items, span: lines.span(start, i) };
    }
    for (;;) {
      items.push(value(depth + 1));
      skipWs();
      if (text[i] === ',') { i++; noTrailingComma(']'); continue; }
      if (text[i] === ']') { i++; break; }
      fail(i >= text.length ? 'unexpected end of input' : `expected \`,\` or \`]\`, found \`${shownChar(text, i)}\``);
    }
    return { kind: 'list', items, span: lines.span(start, i) };
  };

  const string = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const ch = text[i];
      if (ch === '"') { i++; return out; }
      if (ch.charCodeAt(0) < 0x20) fail('control character in string; write it as an escape');
      if (ch !== '\\') { out += ch; i++; continue; }
      const esc = text[i + 1];
      if (esc === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(`invalid escape \`\\u${hex}\``);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (esc !== undefined && esc in ESCAPES) {
        out += ESCAPES[esc];
        i += 2;
      } else fail(esc === undefined ? 'unterminated string' : `invalid escape \`\\${esc}\``);
    }
  };

  const number = (): RawValue => {
    const start = i;
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || /^[0-9.eE+-]/.test(text[i + m[0].length] ?? '')) {
      const bad = /^[-+0-9.eE]*/.exec(text.slice(i, i + 40))?.[0] || text[i];
      fail(`invalid number \`${bad}\``);
    }
    // Refused as the request parser refuses them (src/json/strict-parse.ts), not rounded: a
    // `requests_per_minute` of 9007199254740993 loaded as …992.
    // Valid JSON all the same: the text reads on, and the value is kept as read.
    const value = Number(m![0]);
    i += m![0].length;
    const span = lines.span(start, i);
    const unsafe = unsafeNumber(m![0], value, m![2] === undefined && m![3] === undefined);
    if (unsafe !== undefined) diagnostics.push({ severity: 'error', code: 'invalid-number', message: unsafe, span });
    return { kind: 'number', value, span };
  };

  try {
    const v = value(0);
    skipWs();
    if (i < text.length) fail(`unexpected \`${shownChar(text, i)}\` after the end of the JSON value`);
    return { values: [v], diagnostics };
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    diagnostics.push({ severity: 'error', code: 'json-syntax', message: e.message, span: lines.span(e.at) });
    return { values: [], diagnostics };
  }
}

/** One character for a message: printable as is, others as `U+XXXX`. */
function shownChar(text: string, at: number): string {
  const cp = text.codePointAt(at) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x60) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return String.fromCodePoint(cp);
}
