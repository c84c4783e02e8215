// base64url without padding (RFC 4648 §5), for nonces, signatures and JWK members.
// Decoding is strict: a value has exactly one accepted spelling, so a receipt cannot be
// altered into another text that decodes to the same bytes.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export class Base64UrlError extends Error {
  override readonly name = 'Base64UrlError';
}

// Two characters (12 bits) per lookup: half the concatenations of one character at a time,
// about half the cost of a receipt nonce. 4 096 two-character strings, made on first use.
let pairs: string[] | undefined;

function pairTable(): string[] {
  pairs = [];
  for (let i = 0; i < 4096; i++) pairs.push(ALPHABET[i >> 6] + ALPHABET[i & 63]);
  return pairs;
}

/** @example base64urlEncode(new Uint8Array([0xfb, 0xff])) // "-_8" */
export function base64urlEncode(bytes: Uint8Array): string {
  const pair = pairs ?? pairTable();
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += pair[n >> 12] + pair[n & 4095];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    out += pair[bytes[i] << 4];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += pair[n >> 12] + ALPHABET[(n >> 6) & 63];
  }
  return out;
}

/** Throws Base64UrlError on padding, foreign characters, or non-zero unused trailing bits. */
export function base64urlDecode(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new Base64UrlError('invalid base64url length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c] : -1;
    if (v < 0) throw new Base64UrlError(`invalid base64url character at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new Base64UrlError('non-canonical base64url (unused bits set)');
  return out;
}
