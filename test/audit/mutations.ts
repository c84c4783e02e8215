// Named mutations of Merkle proofs, shared by the property tests and the vector generator.
// Each one must make verification fail; a mutation that does not apply is left out.

export interface InclusionCase { index: number; size: number; leaf: Uint8Array; proof: Uint8Array[]; root: Uint8Array }
export interface ConsistencyCase { first: number; second: number; root1: Uint8Array; root2: Uint8Array; proof: Uint8Array[] }

const EMPTY_SHA256 = Uint8Array.from(Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'));

function flipped(b: Uint8Array): Uint8Array {
  const c = b.slice();
  c[0] ^= 1;
  return c;
}

export function inclusionMutations(c: InclusionCase): [string, InclusionCase][] {
  const out: [string, InclusionCase][] = [
    ['index_plus_1', { ...c, index: c.index + 1 }],
    ['index_out_of_range', { ...c, index: c.size }],
    ['wrong_index_far', { ...c, index: (c.index + Math.max(2, c.size >> 1)) % Math.max(c.size, 1) }],
    ['size_times_2', { ...c, size: c.size * 2 }],
    ['size_div_2', { ...c, size: Math.floor(c.size / 2) }],
    ['extra_node', { ...c, proof: [...c.proof, EMPTY_SHA256] }],
    ['leaf_flipped', { ...c, leaf: flipped(c.leaf) }],
    ['root_flipped', { ...c, root: flipped(c.root) }],
  ];
  if (c.index > 0) out.push(['index_minus_1', { ...c, index: c.index - 1 }]);
  if (c.proof.length > 0) {
    out.push(['missing_last_node', { ...c, proof: c.proof.slice(0, -1) }]);
    out.push(['missing_first_node', { ...c, proof: c.proof.slice(1) }]);
    out.push(['empty_proof', { ...c, proof: [] }]);
    out.push(['node_flipped', { ...c, proof: c.proof.map((p, i) => (i === c.proof.length >> 1 ? flipped(p) : p)) }]);
  }
  // `wrong_index_far` can land on the index itself for tiny trees
  return out.filter(([, m]) => m.index !== c.index || m.size !== c.size || m.proof !== c.proof || m.leaf !== c.leaf || m.root !== c.root);
}

export function consistencyMutations(c: ConsistencyCase): [string, ConsistencyCase][] {
  const out: [string, ConsistencyCase][] = [
    ['first_plus_1', { ...c, first: c.first + 1 }],
    ['first_minus_1', { ...c, first: c.first - 1 }],
    ['second_times_2', { ...c, second: c.second * 2 }],
    ['second_div_2', { ...c, second: Math.floor(c.second / 2) }],
    ['extra_node', { ...c, proof: [...c.proof, EMPTY_SHA256] }],
    ['root1_flipped', { ...c, root1: flipped(c.root1) }],
    ['root2_flipped', { ...c, root2: flipped(c.root2) }],
  ];
  if (c.first !== c.second) out.push(['swapped_roots', { ...c, root1: c.root2, root2: c.root1 }]);
  if (c.proof.length > 0) {
    out.push(['missing_last_node', { ...c, proof: c.proof.slice(0, -1) }]);
    out.push(['empty_proof', { ...c, proof: [] }]);
    out.push(['node_flipped', { ...c, proof: c.proof.map((p, i) => (i === 0 ? flipped(p) : p)) }]);
  }
  // Equal sizes: `second_div_2` can equal first with the right roots only when first == second / 2
  return out.filter(([, m]) => !(m.first === c.first && m.second === c.second && m.proof === c.proof && m.root1 === c.root1 && m.root2 === c.root2));
}
