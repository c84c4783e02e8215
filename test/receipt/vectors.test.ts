// The committed receipt vectors must equal a fresh run of their generator, and every value in
// them must check out against node:crypto directly (not only against our own code).
import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildReceiptVectors } from '../vectors/receipts/build.js';
import { verifyReceipt } from '../../src/receipt/verify.js';
import type { Json } from '../../src/ir/types.js';

interface VectorCase {
  name: string;
  key: { alg: 'HS256'; secret_utf8: string; kid: string } | { alg: 'Ed25519'; public_jwk: JsonWebKey; kid: string };
  now: string;
  action: Json;
  context?: Json;
  action_hash_input: string;
  action_hash: string;
  decision_hash_input: string;
  decision_hash: string;
  signing_input: string;
  signature: string;
  signed_decision: Json;
}

const file = JSON.parse(readFileSync(new URL('../vectors/receipts/receipts.json', import.meta.url), 'utf8')) as { cases: VectorCase[] };
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('receipt vectors', () => {
  it('equal a fresh run of the generator', async () => {
    expect(JSON.parse(JSON.stringify(await buildReceiptVectors()))).toEqual(file);
  });

  it.each(file.cases.map((c) => [c.name, c] as const))('%s checks out with node:crypto and verifyReceipt', async (_n, c) => {
    expect(sha(c.action_hash_input)).toBe(c.action_hash);
    expect(sha(c.decision_hash_input)).toBe(c.decision_hash);
    const sig = Buffer.from(c.signature, 'base64url');
    if (c.key.alg === 'HS256') {
      expect(createHmac('sha256', c.key.secret_utf8).update(c.signing_input, 'utf8').digest().equals(sig)).toBe(true);
    } else {
      const pub = createPublicKey({ key: c.key.public_jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      expect(verify(null, Buffer.from(c.signing_input, 'utf8'), pub, sig)).toBe(true);
    }
    const keys = c.key.alg === 'HS256' ? { secrets: [{ secret: c.key.secret_utf8, kid: c.key.kid }] } : { jwks: { keys: [c.key.public_jwk] } };
    const opts = { keys, now: Date.parse(c.now), action: c.action, context: c.context };
    expect(await verifyReceipt(c.signed_decision, opts)).toEqual({ valid: true, approved: (c.signed_decision as { approved: boolean }).approved, singleUseChecked: false });
  });
});
