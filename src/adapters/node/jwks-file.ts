// A JWKS file (`{"keys": [...]}`, as GET /api/v1/keys serves it) read as verification keys:
// `mge audit verify --jwks FILE`, and MGE_PREVIOUS_JWKS for the Ed25519 keys signed with
// before a rotation (for `mge serve` and `mge audit verify` alike).

import { readFile } from 'node:fs/promises';
import { looksLikeKey } from '../../diagnostics/looks-like-key.js';
import { KeyError, importJwks, type VerificationKey } from '../../receipt/keys.js';

/** `what` names where the file was given (`--jwks`, `MGE_PREVIOUS_JWKS`) in errors. */
export async function jwksFileKeys(file: string, what: string): Promise<VerificationKey[]> {
  let jwks: { keys?: unknown };
  try {
    jwks = JSON.parse(await readFile(file, 'utf8')) as { keys?: unknown };
  } catch (err) {
    // JSON.parse quotes the start of the text: pointed at a secret by mistake, it printed it.
    if (err instanceof SyntaxError) throw new KeyError(`\`${file}\` is not JSON; ${what} takes a JWKS file, \`{"keys": [...]}\` (as GET /api/v1/keys serves it)`);
    // A key, a PEM or a JWK given in place of the file's name (as MGE_PREVIOUS_SECRET_KEYS
    // takes its secrets) is not printed back: only what reads as a path is.
    const given = readsAsPath(file) ? `\`${file}\`` : `the value given (${file.length} characters, not shown: it does not read as a file's path)`;
    throw new KeyError(`${given} (${what}) cannot be read as a file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${what} takes the path of a JWKS file`);
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) throw new KeyError(`\`${file}\` (${what}) is not a JWKS file, \`{"keys": [...]}\``);
  // Each key's own error names the file and its place (`{"keys":[null]}` gave
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

/**
 * A value shown in a message as a file's path: one with a separator or an extension, and
 * none of what keys are written with (newlines, quotes, braces, a PEM's dashes, base64 or
 * key-like text), so a PEM, a secret with its newline or a quoted JWK is never printed
 * whole. A path written only in base64's letters (`/etc/mge/jwks`) is not shown either.
 */
function readsAsPath(value: string): boolean {
  if (/[\p{Cc}{}[\]"'`]/u.test(value) || /^\s*-----/.test(value) || looksLikeKey(value)) return false;
  if (/^[A-Za-z0-9+/=_-]*$/.test(value)) return false;
  return /[/\\]/.test(value) || (/\.[A-Za-z0-9]{1,10}$/.test(value) && !/\s/.test(value));
}
