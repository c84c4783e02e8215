// `mge audit verify` reads logs far larger than any request: what it keeps per entry while it
// reads must not include the entry's line (a parsed id can be a view that keeps its line alive).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { verifyLog } from '../../src/audit/verify.js';
import { createSigner } from '../../src/receipt/sign.js';
import { SECRET, decision } from '../receipt/fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

describe('verifyLog memory', () => {
  it('keeps well under a line per entry while it reads', async () => {
    const signer = await createSigner({ hs256Secret: SECRET, backend: nodeCryptoBackend });
    const N = 20_000;
    const pad = 'x'.repeat(1000); // lines of about 1.5 KB, as real decisions with a few violations
    const lines: string[] = [];
    for (let i = 0; i < N; i++) {
      const d = decision({ decision_id: `dec-${i.toString(16).padStart(28, '0')}`, reasoning: `${pad} ${i}` });
      lines.push((await signer.signAudited(d)).auditLine);
    }
    const lineBytes = lines.reduce((n, l) => n + l.length, 0) / N;
    let kept = 0;
    // Each line handed over is a fresh string, as one read from a file is; `lines` itself is
    // counted in `before` and stays alive throughout.
    async function* read(): AsyncIterable<string> {
      for (const l of lines) yield (' ' + l).slice(1);
      kept = heap() - before;
    }
    const before = heap();
    const report = await verifyLog({ lines: read(), checkpoints: [], keys: signer.keys, backend: nodeCryptoBackend });
    expect(report.problems).toEqual([]);
    expect(report.size).toBe(N);
    expect(kept / N).toBeLessThan(lineBytes / 3);
  }, 60_000);
});
