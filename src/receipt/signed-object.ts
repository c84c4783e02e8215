// The signature check shared by receipts and checkpoints: C(object without "signature") signed
// by the key its kid names, with that key's algorithm (never the object's claim).

import { webCryptoBackend, type CryptoBackend } from './backend.js';
import { Base64UrlError, base64urlDecode } from './base64url.js';
import { canonicalize, CanonicalizationError } from './jcs.js';
import type { KeyRing } from './keys.js';
import type { Json } from '../ir/types.js';

export type SignatureCheck = 'ok' | 'malformed' | 'unknown_kid' | 'bad_signature';

export async function verifySignedObject(obj: Record<string, unknown>, keys: KeyRing, backend: CryptoBackend = webCryptoBackend): Promise<SignatureCheck> {
  const { signature, ...unsigned } = obj;
  if (typeof signature !== 'string' || typeof obj.kid !== 'string' || typeof obj.alg !== 'string') return 'malformed';
  let sig: Uint8Array;
  let signed: string;
  try {
    sig = base64urlDecode(signature);
    signed = canonicalize(unsigned as Json);
  } catch (e) {
    if (e instanceof Base64UrlError || e instanceof CanonicalizationError) return 'malformed';
    throw e;
  }
  const key = keys.get(obj.kid);
  if (key === undefined) return 'unknown_kid';
  // An object claiming another algorithm than its key's is refused outright: no alg confusion.
  if (key.alg !== obj.alg) return 'bad_signature';
  return (await backend.verify(key, signed, sig)) ? 'ok' : 'bad_signature';
}
