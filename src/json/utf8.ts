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

/** UTF-8 length without allocating; lone surrogates count 3 like their U+FFFD replacement. */
export function utf8Length(s: string): number {
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
