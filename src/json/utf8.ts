// UTF-8 the way SPEC §2 reads requests, shared by every way in (HTTP body, CLI file or stdin,
// library objects): bytes are decoded strictly (a sequence that is not UTF-8 is refused, never
// replaced by U+FFFD, which would change what is hashed), a leading byte order mark is
// dropped (RFC 8259 §8.1 allows a parser to ignore it), and string limits count UTF-8 bytes.

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export class Utf8Error extends Error {
  override readonly name = 'Utf8Error';
}

/** @example decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])) // "{}" */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw new Utf8Error('not valid UTF-8');
  }
}

/**
 * Where the first byte that is not UTF-8 sits, as a 1-based line and column (UTF-16 units,
 * as diagnostics count), or undefined when all of `bytes` is UTF-8.
 */
export function firstInvalidUtf8(bytes: Uint8Array): { line: number; col: number } | undefined {
  try {
    strict.decode(bytes);
    return undefined;
  } catch {
    // find where, below
  }
  const valid = (n: number): boolean => {
    try {
      // `stream`: a prefix cut inside a character is not invalid, so validity only shrinks as n grows.
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  // The longest valid prefix: the bad sequence starts right after it (or, for a file that
  // ends inside a character, that character starts there).
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (valid(mid)) lo = mid;
    else hi = mid - 1;
  }
  const text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes.subarray(0, lo), { stream: true });
  const lines = text.split('\n');
  return { line: lines.length, col: lines[lines.length - 1].length + 1 };
}

/** UTF-8 length without allocating; lone surrogates count 3 like their U+FFFD replacement. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair is 2 code units and 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * Whether `s` is longer than `maxBytes` in UTF-8. A string of n code units has n to 3n bytes,
 * so only one near the limit is counted.
 */
export function overUtf8Bytes(s: string, maxBytes: number): boolean {
  return s.length > maxBytes || (s.length * 3 > maxBytes && utf8Length(s) > maxBytes);
}
