// A JWKS file (`{"keys": [...]}`, as GET /api/v1/keys serves it) read as verification keys:
// `mge audit verify --jwks FILE`, and MGE_PREVIOUS_JWKS for the Ed25519 keys signed with
// before a rotation (for `mge serve` and `mge audit verify` alike).

import { readFile } from 'node:fs/promises';
import { looksLikeKey } from '../diagnostics/looks-like-key.js';
import { KeyError, importJwks, type VerificationKey } from '../receipt/keys.js';

/** `what` names where the file was given (`--jwks`, `MGE_PREVIOUS_JWKS`) in errors. */
export async function jwksFileKeys(file: string, what: string): Promise<VerificationKey[]> {
  let jwks: { keys?: unknown };
  try {
    jwks = JSON.parse(await readFile(file, 'utf8')) as { keys?: unknown };
  } catch (err) {
    // JSON.parse quotes the start of the text: pointed at a secret by mistake, it printed it.
    if (err instanceof SyntaxError) throw new KeyError(`\`${file}\` is not JSON; ${what} takes a JWKS file, \`{"keys": [...]}\` (as GET /api/v1/keys serves it)`);
    // A key or a JWK given in place of the file's name (as MGE_PREVIOUS_SECRET_KEYS takes its
    // secrets) is not printed back.
    const given = /^\s*[{[]/.test(file) ? `the value given (${file.length} characters, not shown: it holds JSON, not a file name)`
      : looksLikeKey(file) ? `the value given (${file.length} characters, not shown: it reads as a key, not a file name)`
      : `\`${file}\``;
    throw new KeyError(`${given} (${what}) cannot be read as a file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${what} takes the path of a JWKS file`);
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) throw new KeyError(`\`${file}\` (${what}) is not a JWKS file, \`{"keys": [...]}\``);
  // Each key's own error names the file and its place (a review: `{"keys":[null]}` gave
  // "Cannot read properties of null"); keys of other types are skipped (importJwks).
  let keys: VerificationKey[];
  try {
    keys = await importJwks(jwks.keys as unknown[]);
  } catch (err) {
    throw new KeyError(`\`${file}\` (${what}): ${(err as Error).message}`);
  }
  if (keys.length === 0) throw new KeyError(`\`${file}\` (${what}) holds no Ed25519 key (keys of other types are skipped)`);
  return keys;
}
