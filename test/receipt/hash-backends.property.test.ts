import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import type { Json } from '../../src/ir/types.js';
import { webCryptoBackend } from '../../src/receipt/backend.js';
import { actionText, computeActionHash, computeDecisionHash } from '../../src/receipt/decision-hash.js';
import { canonicalize } from '../../src/receipt/jcs.js';

// Well-formed strings only: canonical JSON refuses lone surrogates before anything is hashed.
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const json: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(text, tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('hash backends', () => {
  it('node:crypto hashing canonical text equals WebCrypto hashing its UTF-8 bytes', async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.option(json, { nil: undefined }), async (action, context) => {
        const web = await computeActionHash(action, context, webCryptoBackend);
        expect(await computeActionHash(action, context, nodeCryptoBackend)).toBe(web);
        const decision = { approved: true, action_hash: web, payload: action };
        expect(await computeDecisionHash(decision, nodeCryptoBackend)).toBe(await computeDecisionHash(decision, webCryptoBackend));
      }),
      { numRuns: 1000 },
    );
  });

  it('the action text is canonicalize({action, context}) written directly', () => {
    fc.assert(
      fc.property(fc.option(json, { nil: undefined }), fc.option(json, { nil: undefined }), (action, context) => {
        expect(actionText(action, context)).toBe(canonicalize({ action, context: context ?? {} } as Json));
      }),
      { numRuns: 1000 },
    );
  });

  it('pins one value computed outside the project (sha256sum)', async () => {
    // echo -n '{"action":"db.read","context":{}}' | sha256sum
    const expected = 'f2b48f124db2d07b430fede51dc82f4508304b5854d39dd9f595f8568d845832';
    expect(await computeActionHash('db.read', undefined, nodeCryptoBackend)).toBe(expected);
    expect(await computeActionHash('db.read', undefined, webCryptoBackend)).toBe(expected);
  });
});
