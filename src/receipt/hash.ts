// SHA-256 as lower-case hex (SPEC §5 `H(b)`), plus the hex helpers hashes travel in.

import type { BytesOrText } from './backend.js';

/** The WebCrypto API, or a loud start-up failure naming what needs it (STYLE: fail at start). */
export function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new Error('WebCrypto `crypto.subtle` is required for receipts and audit hashes');
  return s;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

export class HexError extends Error {
  override readonly name = 'HexError';
}

/** Strict lower-case hex: one spelling per byte string. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new HexError(`a ${typeof hex} is not lower-case hex`);
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) throw new HexError(`\`${hex.slice(0, 80)}\` is not lower-case hex`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * TS 5.9 types WebCrypto inputs as ArrayBuffer-backed views only; any Uint8Array works at
 * run time (a SharedArrayBuffer never reaches here).
 */
export function bufferSource(u: Uint8Array): BufferSource {
  return u as Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

/** The bytes themselves, or a string's UTF-8 bytes. */
export function bytesOf(data: BytesOrText): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** SHA-256 of bytes, or of a string's UTF-8 bytes (WebCrypto). */
export async function sha256(data: BytesOrText): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', bufferSource(bytesOf(data))));
}

/** @example await sha256Hex(new Uint8Array()) // "e3b0c442…b855" */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}
