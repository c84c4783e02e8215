// The committed MGE Merkle vectors equal a fresh run of their generator, and check out against
// the verifier and an independent leaf-hash computation.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeCryptoBackend } from '../../src/adapters/node/crypto.js';
import { verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { fromHex } from '../../src/receipt/hash.js';
import { buildMgeMerkleVectors } from '../vectors/merkle/build-mge.js';

type V = Record<string, unknown>;
const file = JSON.parse(readFileSync(new URL('../vectors/merkle/mge-proofs.json', import.meta.url), 'utf8')) as
  { leaves_utf8: string[]; leaf_hashes_hex: string[]; inclusion: V[]; consistency: V[]; mutations: V[] };
const sha = nodeCryptoBackend.sha256;
const hexes = (v: unknown) => (v as string[]).map(fromHex);

describe('mge-proofs.json', () => {
  it('equals a fresh run of its generator', async () => {
    expect(JSON.parse(JSON.stringify(await buildMgeMerkleVectors()))).toEqual(file);
  });

  it('leaf hashes are SHA-256(0x00 || entry)', () => {
    file.leaves_utf8.forEach((l, i) => {
      expect(createHash('sha256').update(Buffer.from([0])).update(l, 'utf8').digest('hex')).toBe(file.leaf_hashes_hex[i]);
    });
  });

  it('valid proofs verify, every mutation fails', async () => {
    const check = (v: V) => v.leaf_index !== undefined
      ? verifyInclusion(sha, v.leaf_index as number, v.tree_size as number, fromHex(v.leaf_hash_hex as string), hexes(v.path_hex), fromHex(v.root_hex as string))
      : verifyConsistency(sha, v.first_size as number, v.second_size as number, fromHex(v.first_root_hex as string), fromHex(v.second_root_hex as string), hexes(v.proof_hex));
    for (const v of [...file.inclusion, ...file.consistency]) expect(await check(v)).toBe(true);
    expect(file.mutations.length).toBeGreaterThan(500);
    for (const m of file.mutations) expect(await check(m), `${m.mutation as string} of ${JSON.stringify(m.of)}`).toBe(false);
  });
});
