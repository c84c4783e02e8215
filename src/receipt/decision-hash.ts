// The two hashes a receipt binds (SPEC §5): what was asked (action_hash) and what was answered
// (decision_hash). Both are H(C(x)); the backend decides only how SHA-256 is computed.

import type { Json } from '../ir/types.js';
import { webCryptoBackend, type CryptoBackend, type MaybePromise } from './backend.js';
import { toHex } from './hash.js';
import { decisionText, joinDecisionText } from './decision-text.js';
import { canonicalize } from './jcs.js';

/**
 * H(C({action, context})) over the values exactly as received: a bare-string action stays a
 * string, and an absent context is `{}`.
 *
 * @example await computeActionHash('db.read', undefined) // H('{"action":"db.read","context":{}}')
 */
export async function computeActionHash(rawAction: Json, rawContext: Json | undefined, backend: CryptoBackend = webCryptoBackend): Promise<string> {
  return actionHash(rawAction, rawContext, backend);
}

/** computeActionHash, answered at once by a synchronous backend (the engine skips an `await`). */
export function actionHash(rawAction: Json, rawContext: Json | undefined, backend: CryptoBackend): MaybePromise<string> {
  return hashCanonicalText(actionText(rawAction, rawContext), backend);
}

/**
 * C({action, context}), written around the two members' canonical texts ("action" sorts before
 * "context"): no wrapper object and no key sort per check. An absent action is left out, as
 * canonicalize leaves out an undefined member. `write` canonicalizes one value: the request
 * check passes one that also enforces the request limits (src/engine/request.ts).
 */
export function actionText(rawAction: Json | undefined, rawContext: Json | undefined, write: (v: Json) => string = canonicalize): string {
  // The absent (or null) context's `{}` is not the caller's value: it is written, not checked against
  // the request limits (at maxDepth 1 it was refused as "nested too deeply").
  const context = rawContext == null ? '{}' : write(rawContext);
  return rawAction === undefined ? `{"context":${context}}` : `{"action":${write(rawAction)},"context":${context}}`;
}

/**
 * H(text) for canonical text, without an encode step where the backend allows; a synchronous
 * backend's answer comes back as is (the signer skips an `await` then). Canonical text is
 * well-formed (lone surrogates are refused), so its UTF-8 is one.
 */
export function hashCanonicalText(text: string, backend: CryptoBackend): MaybePromise<string> {
  if (backend.sha256HexOfText) return backend.sha256HexOfText(text);
  const h = backend.sha256(text);
  return h instanceof Promise ? h.then(toHex) : toHex(h);
}

/** H(C(decision without `receipt` and `explanation`)), written as the signer writes it. */
export async function computeDecisionHash(decision: object, backend: CryptoBackend = webCryptoBackend): Promise<string> {
  return hashCanonicalText(joinDecisionText(decisionText(decision)), backend);
}
