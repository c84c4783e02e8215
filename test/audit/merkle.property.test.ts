import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { webCryptoBackend } from '../../src/receipt/backend.js';
import { leafHash, nodeHash, verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { MerkleTree, PAGE_HASHES, TreeSizeError } from '../../src/audit/merkle-tree.js';
import { toHex } from '../../src/receipt/hash.js';
import { consistencyMutations, inclusionMutations } from './mutations.js';

const sha = nodeCryptoBackend.sha256;
const enc = new TextEncoder();

async function treeOf(n: number, hash = sha): Promise<MerkleTree> {
  const t = new MerkleTree(hash);
  for (let i = 0; i < n; i++) void t.appendEntry(enc.encode(`{"i":${i}}`));
  await t.settled();
  return t;
}

describe('Merkle tree properties', () => {
  it('for random n ≤ 300, every inclusion proof verifies and every mutation fails', async () => {
    const big = await treeOf(300);
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.nat(), async (n, r) => {
      const index = r % n;
      const root = await big.root(n);
      const proof = await big.inclusionProof(index, n);
      const leaf = await big.leaf(index);
      expect(await verifyInclusion(sha, index, n, leaf, proof, root)).toBe(true);
      for (const [name, m] of inclusionMutations({ index, size: n, leaf, proof, root })) {
        expect(await verifyInclusion(sha, m.index, m.size, m.leaf, m.proof, m.root), `${name} of (${index}, ${n})`).toBe(false);
      }
    }), { numRuns: 1000 });
  });

  it('every leaf of one random tree has a valid proof', async () => {
    const n = 1 + Math.floor(Math.random() * 300);
    const t = await treeOf(n);
    const root = await t.root();
    for (let i = 0; i < n; i++) expect(await verifyInclusion(sha, i, n, await t.leaf(i), await t.inclusionProof(i, n), root)).toBe(true);
  });

  it('consistency holds for all 1 ≤ m ≤ n ≤ 64 and every mutation fails', async () => {
    const t = await treeOf(64);
    const roots: Uint8Array[] = [new Uint8Array()];
    for (let n = 1; n <= 64; n++) roots.push(await t.root(n));
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = await t.consistencyProof(m, n);
        expect(await verifyConsistency(sha, m, n, roots[m], roots[n], proof), `(${m}, ${n})`).toBe(true);
        for (const [name, c] of consistencyMutations({ first: m, second: n, root1: roots[m], root2: roots[n], proof })) {
          expect(await verifyConsistency(sha, c.first, c.second, c.root1, c.root2, c.proof), `${name} of (${m}, ${n})`).toBe(false);
        }
      }
    }
  });

  it('keeps roots and proofs right across storage pages (RFC 9162 MTH computed directly)', async () => {
    const n = 2 * PAGE_HASHES + 7;
    const t = await treeOf(n);
    const leaves = Array.from({ length: n }, (_, i) => leafHash(sha, enc.encode(`{"i":${i}}`)) as Uint8Array);
    const mth = (a: number, b: number): Uint8Array => {
      if (b - a === 1) return leaves[a];
      let k = 1;
      while (k * 2 < b - a) k *= 2;
      return nodeHash(sha, mth(a, a + k), mth(a + k, b)) as Uint8Array;
    };
    for (const size of [PAGE_HASHES - 1, PAGE_HASHES, PAGE_HASHES + 1, 2 * PAGE_HASHES, n]) {
      const root = await t.root(size);
      expect(toHex(root), `root(${size})`).toBe(toHex(mth(0, size)));
      for (const i of [0, PAGE_HASHES - 1, PAGE_HASHES, size - 1]) {
        if (i >= size) continue;
        expect(await verifyInclusion(sha, i, size, await t.leaf(i), await t.inclusionProof(i, size), root), `leaf ${i} of ${size}`).toBe(true);
      }
    }
  });

  it('a tree built with WebCrypto has the same roots and proofs', async () => {
    const a = await treeOf(37);
    const b = await treeOf(37, webCryptoBackend.sha256);
    for (const n of [1, 2, 5, 16, 37]) expect(toHex(await b.root(n))).toBe(toHex(await a.root(n)));
    expect((await b.inclusionProof(20, 37)).map(toHex)).toEqual((await a.inclusionProof(20, 37)).map(toHex));
    expect((await b.consistencyProof(13, 37)).map(toHex)).toEqual((await a.consistencyProof(13, 37)).map(toHex));
  });

  it('concurrent appends keep their order', async () => {
    const t = new MerkleTree(webCryptoBackend.sha256);
    const idx = await Promise.all(Array.from({ length: 50 }, (_, i) => t.appendEntry(enc.encode(`{"i":${i}}`))));
    expect(idx).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(toHex(await t.root())).toBe(toHex(await (await treeOf(50)).root()));
  });

  it('refuses sizes the tree does not have', async () => {
    const t = await treeOf(5);
    await expect(t.root(6)).rejects.toThrow(TreeSizeError);
    await expect(t.inclusionProof(5, 5)).rejects.toThrow('leaf index `5` is not below tree size 5');
    await expect(t.consistencyProof(0, 3)).rejects.toThrow('a consistency proof needs a first size of at least 1');
    await expect(t.consistencyProof(4, 3)).rejects.toThrow('first size 4 is larger than second size 3');
    await expect(t.consistencyProof(1, 9)).rejects.toThrow('tree size `9` is not between 0 and 5');
  });
});
