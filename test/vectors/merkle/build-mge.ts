// MGE Merkle vectors for other languages (SPEC §6): leaves are canonical JSON audit entries;
// proofs come from our tree, and each named mutation (wrong index, index ±1, size ×2 and ÷2,
// extra or missing node, empty proof, flipped bytes) must fail RFC 9162 verification.
// `npx tsx test/vectors/merkle/generate-mge.ts` writes mge-proofs.json; a test recomputes it.

import { nodeCryptoBackend } from '../../../src/adapters/node/crypto.js';
import { verifyConsistency, verifyInclusion } from '../../../src/audit/merkle.js';
import { MerkleTree } from '../../../src/audit/merkle-tree.js';
import type { Json } from '../../../src/ir/types.js';
import { toHex } from '../../../src/receipt/hash.js';
import { canonicalize } from '../../../src/receipt/jcs.js';
import { consistencyMutations, inclusionMutations } from '../../audit/mutations.js';

const sha = nodeCryptoBackend.sha256;
const N = 13;

function leaf(i: number): string {
  return i % 5 === 4
    ? canonicalize({ kind: 'rule_change', rule_id: `r${i}`, op: 'put', policy_version: 'sha256:' + String(i).repeat(64).slice(0, 64), by: 'key-0a1b2c', timestamp: '2026-11-24T10:30:00.000Z' })
    : canonicalize({ decision_id: `dec-${i}`, approved: i % 2 === 0, tenant: 'acme', reasoning: i % 2 === 0 ? 'All rules passed' : 'Denied by r: é€😀' });
}

export async function buildMgeMerkleVectors(): Promise<Json> {
  const tree = new MerkleTree(sha);
  const leaves = Array.from({ length: N }, (_, i) => leaf(i));
  for (const l of leaves) void tree.appendEntry(new TextEncoder().encode(l));
  await tree.settled();
  const roots: Json[] = [];
  for (let n = 1; n <= N; n++) roots.push({ tree_size: n, root_hex: toHex(await tree.root(n)) });
  const inclusion: Json[] = [];
  const consistency: Json[] = [];
  const mutations: Json[] = [];
  for (const n of [1, 5, 8, 13]) {
    for (let i = 0; i < n; i++) {
      const c = { index: i, size: n, leaf: await tree.leaf(i), proof: await tree.inclusionProof(i, n), root: await tree.root(n) };
      if (!(await verifyInclusion(sha, c.index, c.size, c.leaf, c.proof, c.root))) throw new Error(`inclusion (${i}, ${n}) does not verify`);
      inclusion.push({ leaf_index: i, tree_size: n, leaf_hash_hex: toHex(c.leaf), path_hex: c.proof.map(toHex), root_hex: toHex(c.root), valid: true });
      for (const [name, m] of inclusionMutations(c)) {
        if (await verifyInclusion(sha, m.index, m.size, m.leaf, m.proof, m.root)) throw new Error(`${name} of (${i}, ${n}) verifies`);
        mutations.push({ kind: 'inclusion', mutation: name, of: { leaf_index: i, tree_size: n }, leaf_index: m.index, tree_size: m.size,
          leaf_hash_hex: toHex(m.leaf), path_hex: m.proof.map(toHex), root_hex: toHex(m.root), valid: false });
      }
    }
  }
  for (const n of [8, 13]) {
    for (let m = 1; m <= n; m++) {
      const c = { first: m, second: n, root1: await tree.root(m), root2: await tree.root(n), proof: await tree.consistencyProof(m, n) };
      if (!(await verifyConsistency(sha, c.first, c.second, c.root1, c.root2, c.proof))) throw new Error(`consistency (${m}, ${n}) does not verify`);
      consistency.push({ first_size: m, second_size: n, first_root_hex: toHex(c.root1), second_root_hex: toHex(c.root2), proof_hex: c.proof.map(toHex), valid: true });
      for (const [name, x] of consistencyMutations(c)) {
        if (await verifyConsistency(sha, x.first, x.second, x.root1, x.root2, x.proof)) throw new Error(`${name} of (${m}, ${n}) verifies`);
        mutations.push({ kind: 'consistency', mutation: name, of: { first_size: m, second_size: n }, first_size: x.first, second_size: x.second,
          first_root_hex: toHex(x.root1), second_root_hex: toHex(x.root2), proof_hex: x.proof.map(toHex), valid: false });
      }
    }
  }
  return {
    description: 'MGE audit log Merkle vectors (RFC 9162 §2.1): leaf hash = SHA-256(0x00 || UTF-8 of leaves_utf8[i]); every mutation must fail',
    leaves_utf8: leaves,
    leaf_hashes_hex: await Promise.all(leaves.map(async (_, i) => toHex(await tree.leaf(i)))),
    roots, inclusion, consistency, mutations,
  };
}
