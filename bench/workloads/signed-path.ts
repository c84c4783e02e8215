// The signed path: evaluate + receipt + audit append to the memory store, the work of one
// `POST /api/v1/governance/check` minus HTTP (src/http/check-pipeline.ts does the same three steps).
// Timed for both crypto backends: WebCrypto (portable; a thread-pool hop per call on Node) and
// node:crypto (the Node adapter's synchronous path).

import { nodeCryptoBackend } from '../../dist/src/adapters/node/crypto.js';
import { AuditLog } from '../../dist/src/audit/log.js';
import { MemoryAuditStore } from '../../dist/src/audit/memory-store.js';
import type { Json } from '../../dist/src/ir/types.js';
import { webCryptoBackend, type CryptoBackend } from '../../dist/src/receipt/backend.js';
import { generateEd25519Jwk } from '../../dist/src/receipt/keys.js';
import { createSigner } from '../../dist/src/receipt/sign.js';
import { timeDecisions, type Timing } from './harness.js';
import { workload } from './index.js';
import { mgeEngineFor } from './mge.js';

export interface SignedPath {
  rows: ({ what: string } & Timing)[];
}

const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export async function measureSignedPath(opts: { minMs: number }): Promise<SignedPath> {
  const w = workload('W1');
  const ed = await generateEd25519Jwk();
  const rows: SignedPath['rows'] = [];

  for (const backend of [webCryptoBackend, nodeCryptoBackend]) {
    const engine = await mgeEngineFor(w, 'vm', backend);
    rows.push({
      what: `evaluate only (Engine.evaluate), ${backend === webCryptoBackend ? 'WebCrypto' : 'node:crypto'}`,
      ...(await timeDecisions(w.requests.map(({ request }) => async () => (await engine.evaluate(request)).approved), opts)),
    });
  }

  // [label, alg, backend, fast]: `fast` is Signer.signAudited + AuditLog.appendSigned (the audit
  // line reuses the canonical form computed for decision_hash); otherwise sign + append.
  const variants: [string, 'HS256' | 'Ed25519', CryptoBackend, boolean][] = [
    ['HS256, WebCrypto, sign + append', 'HS256', webCryptoBackend, false],
    ['HS256, node:crypto, sign + append', 'HS256', nodeCryptoBackend, false],
    ['HS256, node:crypto, signAudited + appendSigned', 'HS256', nodeCryptoBackend, true],
    ['Ed25519, WebCrypto, sign + append', 'Ed25519', webCryptoBackend, false],
    ['Ed25519, node:crypto, sign + append', 'Ed25519', nodeCryptoBackend, false],
    ['Ed25519, node:crypto, signAudited + appendSigned', 'Ed25519', nodeCryptoBackend, true],
  ];
  for (const [label, alg, backend, fast] of variants) {
    const engine = await mgeEngineFor(w, 'vm', backend);
    const signer = await createSigner({ hs256Secret: SECRET, ed25519: { privateJwk: ed }, alg, backend });
    const log = await AuditLog.open('default', new MemoryAuditStore(), { backend });
    const decides = w.requests.map(({ request }) => fast
      ? async () => {
        const signed = await signer.signAudited(await engine.evaluate(request));
        await log.appendSigned(signed);
        return signed.unsigned.approved;
      }
      : async () => {
        const signed = await signer.sign(await engine.evaluate(request));
        await log.append(signed as unknown as Json);
        return signed.approved;
      });
    rows.push({ what: `evaluate + receipt + audit append: ${label}`, ...(await timeDecisions(decides, opts)) });
    await log.close();
  }
  return { rows };
}
