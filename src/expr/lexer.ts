// Tokens of the expression language (SPEC §3.6). Offsets are UTF-16 indexes into the text;
// the parser turns them into spans. The lexer never throws: a bad character or literal becomes
// an `error` token carrying its message, and the parser reports it as `expr-syntax`.

export type TokenKind = 'string' | 'number' | 'ident' | 'op' | 'eof' | 'error';

export interface Token {
  kind: TokenKind;
  /** The exact source text of the token. */
  text: string;
  /** The decoded string (string), the number (number); for `error` tokens the message. */
  value?: string | number;
  help?: string;
  start: number;
  end: number;
}

const OPS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '.'];

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER = /(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A cut-down rendering of user text for messages, so a huge token cannot flood a diagnostic. */
export function excerpt(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

/** What a mistyped operator was probably meant to be. */
const OP_HELP: Record<string, string> = {
  '=': 'use `==` to compare',
  '&': 'use `&&` for logical and',
  '|': 'use `||` for logical or',
  "'": 'strings are written in double quotes: `"…"`',
};

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      const tok = lexString(text, i);
      out.push(tok);
      if (tok.kind === 'error') return out;
      i = tok.end;
      continue;
    }
    if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      const lexeme = m ? m[0] : c;
      // `01`, `1.`, `1e` and the like: a number glued to more digits or letters is malformed.
      const after = text[i + lexeme.length];
      if (after !== undefined && (IDENT_PART.test(after) || after === '.')) {
        let j = i + lexeme.length;
        while (j < text.length && (IDENT_PART.test(text[j]) || text[j] === '.')) j++;
        out.push(err(`invalid number \`${excerpt(text.slice(i, j))}\``, start, j));
        return out;
      }
      const value = Number(lexeme);
      // Past either end of a double: `1e999` has no value, and `1e-400` would compare as 0 (a
      // request's number that small is refused too, src/json/strict-parse.ts).
      if (!Number.isFinite(value) || (value === 0 && /[1-9]/.test(lexeme.split(/[eE]/)[0]))) {
        out.push(err(`number \`${excerpt(lexeme)}\` is out of range`, start, i + lexeme.length));
        return out;
      }
      // Written without an exponent and past 2^53 (`9007199254740993`, `…993.0`, `…991.5`): a
      // double holds another number than the one written (as in a request, SPEC §2); `1e300`
      // says it is a float and is kept.
      if (Number.isInteger(value) && !Number.isSafeInteger(value) && !/[eE]/.test(lexeme)) {
        out.push(err(`integer \`${excerpt(lexeme)}\` is beyond ±(2^53−1) and would not be exact; write it as a string, or in exponent form if a float is meant`, start, i + lexeme.length));
        return out;
      }
      out.push({ kind: 'number', text: lexeme, value, start, end: i + lexeme.length });
      i += lexeme.length;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j])) j++;
      out.push({ kind: 'ident', text: text.slice(i, j), start, end: j });
      i = j;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, start, end: i + op.length });
      i += op.length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    const bad = err(`unexpected character \`${ch}\``, start, i + ch.length);
    bad.help = OP_HELP[ch];
    out.push(bad);
    return out;
  }
  out.push({ kind: 'eof', text: '', start: text.length, end: text.length });
  return out;
}

function err(message: string, start: number, end: number): Token {
  return { kind: 'error', text: '', value: message, start, end };
}

/** A JSON string literal starting at `text[i] === '"'`. */
function lexString(text: string, i: number): Token {
  const start = i;
  let j = i + 1;
  let value = '';
  while (j < text.length) {
    const c = text[j];
    if (c === '"') {
      if (hasLoneSurrogate(value)) return err('string literal contains a lone surrogate', start, j + 1);
      return { kind: 'string', text: text.slice(start, j + 1), value, start, end: j + 1 };
    }
    if (c === '\\') {
      const e = text[j + 1];
      if (e === 'u') {
        const hex = text.slice(j + 2, j + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) return err(`invalid escape \`\\u${excerpt(hex)}\` in string literal`, j, Math.min(j + 6, text.length));
        value += String.fromCharCode(parseInt(hex, 16));
        j += 6;
        continue;
      }
      if (e !== undefined && e in ESCAPES) {
        value += ESCAPES[e];
        j += 2;
        continue;
      }
      const shownEscape = e === undefined ? '\\' : '\\' + String.fromCodePoint(text.codePointAt(j + 1)!);
      const bad = err(`invalid escape \`${shownEscape}\` in string literal`, j, j + shownEscape.length);
      bad.help = 'valid escapes are `\\"` `\\\\` `\\/` `\\b` `\\f` `\\n` `\\r` `\\t` `\\uXXXX`';
      return bad;
    }
    if (c.charCodeAt(0) < 0x20) {
      const bad = err('string literal contains a raw control character', j, j + 1);
      bad.help = 'write it as an escape, e.g. `\\n`';
      return bad;
    }
    value += c;
    j++;
  }
  return err('unterminated string literal', start, text.length);
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}
