// Receipt vectors for other languages: inputs, keys, expected hashes and signatures. HS256 and
// Ed25519 are both deterministic, so with a fixed clock and nonce every byte is reproducible.
// `npx tsx test/vectors/receipts/generate.ts` writes receipts.json; test/receipt/vectors.test.ts
// recomputes it and fails on any difference.

import type { Decision, Json } from '../../../src/ir/types.js';
import { computeActionHash } from '../../../src/receipt/decision-hash.js';
import { toHex } from '../../../src/receipt/hash.js';
import { canonicalize } from '../../../src/receipt/jcs.js';
import { createSigner, type SignerOptions } from '../../../src/receipt/sign.js';
import { ACTION, CONTEXT, ED_JWK, SECRET, T0, decision } from '../../receipt/fixtures.js';

interface Case {
  name: string;
  key: SignerOptions;
  action: Json;
  context?: Json;
  decision: Decision;
  nonce_hex: string;
}

function fixedNonce(hex: string): () => Uint8Array {
  return () => Uint8Array.from(Buffer.from(hex, 'hex'));
}

async function cases(): Promise<Case[]> {
  const h = (a: Json, c?: Json) => computeActionHash(a, c);
  return [
    { name: 'hs256-denied', key: { hs256Secret: SECRET }, action: ACTION, context: CONTEXT,
      decision: decision({ action_hash: await h(ACTION, CONTEXT) }), nonce_hex: '000102030405060708090a0b0c0d0e0f' },
    { name: 'hs256-approved-bare-action-no-context', key: { hs256Secret: SECRET, kid: 'prod-2026-11' }, action: 'db.read',
      decision: decision({ approved: true, reasoning: 'All rules passed', violations: [], rule_ids: [], action_hash: await h('db.read') }),
      nonce_hex: 'ffffffffffffffffffffffffffffffff' },
    { name: 'ed25519-denied-with-audience', key: { ed25519: { privateJwk: ED_JWK } }, action: ACTION, context: CONTEXT,
      decision: decision({ audience: 'executor-7', action_hash: await h(ACTION, CONTEXT) }), nonce_hex: '8899aabbccddeeff0011223344556677' },
    { name: 'ed25519-unicode-and-numbers', key: { ed25519: { privateJwk: ED_JWK }, ttlMs: 5000 },
      action: { type: 'files.read', path: '/données/€/😀.txt', size: 1e21, ratio: 0.1 }, context: { '\u00e9': 'é', 'e\u0301': 2 },
      decision: decision({ approved: true, reasoning: 'All rules passed', violations: [],
        action_hash: await h({ type: 'files.read', path: '/données/€/😀.txt', size: 1e21, ratio: 0.1 }, { '\u00e9': 'é', 'e\u0301': 2 }) }),
      nonce_hex: '00000000000000000000000000000001' },
  ];
}

/** The vector file's content, recomputed from scratch. */
export async function buildReceiptVectors(): Promise<Json> {
  const out: Json[] = [];
  for (const c of await cases()) {
    const signer = await createSigner({ ...c.key, now: () => T0, randomBytes: fixedNonce(c.nonce_hex) });
    const signed = await signer.sign(c.decision);
    const { signature: _s, ...unsigned } = signed.receipt;
    const { receipt: _r, ...body } = signed;
    out.push({
      name: c.name,
      key: c.key.hs256Secret !== undefined
        ? { alg: 'HS256', secret_utf8: c.key.hs256Secret, kid: signer.kid }
        : { alg: 'Ed25519', private_jwk: { ...ED_JWK } as unknown as Json, public_jwk: signer.jwks().keys[0] as Json, kid: signer.kid },
      now: new Date(T0).toISOString(),
      ttl_ms: c.key.ttlMs ?? 60_000,
      nonce_hex: c.nonce_hex,
      action: c.action,
      ...(c.context === undefined ? {} : { context: c.context }),
      action_hash_input: canonicalize({ action: c.action, context: c.context ?? {} }),
      action_hash: await computeActionHash(c.action, c.context),
      decision_hash_input: canonicalize(body as unknown as Json),
      decision_hash: signed.receipt.decision_hash,
      signing_input: canonicalize(unsigned),
      signature: signed.receipt.signature,
      signature_hex: toHex(Buffer.from(signed.receipt.signature, 'base64url')),
      signed_decision: signed as unknown as Json,
    } as Json);
  }
  return { description: 'MGE receipts (SPEC §5): every value is recomputable from the inputs in its case', cases: out };
}
