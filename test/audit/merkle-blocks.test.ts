// A tree that forgets the lower levels of complete blocks (MerkleTreeOptions.leafHashes) must
// answer exactly what a tree keeping every hash answers, and refuse leaves read back wrong.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { webCryptoBackend } from '../../src/receipt/backend.js';
import { leafHash, verifyInclusion, type Sha256 } from '../../src/audit/merkle.js';
import { LeafReadBackError, MerkleTree } from '../../src/audit/merkle-tree.js';
import { toHex } from '../../src/receipt/hash.js';

const enc = new TextEncoder();
const entry = (i: number) => enc.encode(`{"i":${i}}`);

async function trees(n: number, blockLevels: number, sha: Sha256 = nodeCryptoBackend.sha256) {
  const reads: [number, number][] = [];
  const whole = new MerkleTree(sha);
  const forgetful = new MerkleTree(sha, {
    blockLevels,
    leafHashes: async (from, count) => {
      reads.push([from, count]);
      return Promise.all(Array.from({ length: count }, (_, k) => leafHash(sha, entry(from + k))));
    },
  });
  for (let i = 0; i < n; i++) {
    void whole.appendEntry(entry(i));
    void forgetful.appendEntry(entry(i));
  }
  await Promise.all([whole.settled(), forgetful.settled()]);
  return { whole, forgetful, reads };
}

const hex = (xs: Uint8Array[]) => xs.map(toHex);

describe('MerkleTree that forgets complete blocks', () => {
  it('gives the same roots, leaves and proofs as a tree keeping every hash (random n, block sizes 2 to 16)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 4 }), async (n, levels) => {
      const { whole, forgetful } = await trees(n, levels);
      for (let size = 1; size <= n; size++) {
        expect(toHex(await forgetful.root(size)), `root(${size})`).toBe(toHex(await whole.root(size)));
        for (let i = 0; i < size; i++) {
          expect(hex(await forgetful.inclusionProof(i, size)), `path(${i}, ${size})`).toEqual(hex(await whole.inclusionProof(i, size)));
        }
        expect(hex(await forgetful.consistencyProof(size, n)), `proof(${size}, ${n})`).toEqual(hex(await whole.consistencyProof(size, n)));
      }
      for (let i = 0; i < n; i++) expect(toHex(await forgetful.leaf(i))).toBe(toHex(await whole.leaf(i)));
    }), { numRuns: 60 });
  });

  it('reads back only complete older blocks, and keeps a few of them', async () => {
    const { forgetful, reads } = await trees(1000, 8);
    const root = await forgetful.root(1000);
    expect(reads).toEqual([]); // roots of the whole tree need no old block's lower levels
    const leaf = await forgetful.leaf(300);
    expect(await verifyInclusion(nodeCryptoBackend.sha256, 300, 1000, leaf, await forgetful.inclusionProof(300, 1000), root)).toBe(true);
    expect(reads).toEqual([[256, 256]]);
    await forgetful.inclusionProof(301, 1000);
    expect(reads).toHaveLength(1); // cached
    await forgetful.leaf(999); // the block being filled is in memory
    expect(reads).toHaveLength(1);
  });

  it('works with an asynchronous hash (WebCrypto)', async () => {
    const { whole, forgetful } = await trees(37, 2, webCryptoBackend.sha256);
    for (const n of [1, 4, 5, 16, 37]) expect(toHex(await forgetful.root(n))).toBe(toHex(await whole.root(n)));
    expect(hex(await forgetful.inclusionProof(3, 37))).toEqual(hex(await whole.inclusionProof(3, 37)));
    expect(hex(await forgetful.consistencyProof(6, 37))).toEqual(hex(await whole.consistencyProof(6, 37)));
  });

  it('refuses leaves read back that are not the ones appended', async () => {
    const sha = nodeCryptoBackend.sha256;
    const t = new MerkleTree(sha, {
      blockLevels: 2,
      leafHashes: async (from, count) => Array.from({ length: count }, (_, k) => leafHash(sha, entry(from + k + (from + k === 1 ? 100 : 0))) as Uint8Array),
    });
    for (let i = 0; i < 10; i++) void t.appendEntry(entry(i));
    await expect(t.inclusionProof(1, 10)).rejects.toThrow(LeafReadBackError);
    await expect(t.inclusionProof(1, 10)).rejects.toThrow('block 0: the leaves read back do not hash to the tree\'s hash of them');
    const short = new MerkleTree(sha, { blockLevels: 2, leafHashes: async () => [] });
    for (let i = 0; i < 10; i++) void short.appendEntry(entry(i));
    await expect(short.leaf(0)).rejects.toThrow('block 0: 0 leaf hashes read back, 4 expected');
  });
});
