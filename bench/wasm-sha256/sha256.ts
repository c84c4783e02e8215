// SHA-256 (FIPS 180-4) in AssemblyScript, for bench/trust.bench.ts only: the issue asks whether
// hashing inside WebAssembly beats node:crypto for MGE's small inputs. Not used by MGE itself.
// Protocol: write the message at input_ptr(), call digest(len), read 32 bytes at output_ptr().

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const W = new StaticArray<u32>(64);
const H = new StaticArray<u32>(8);
const BLOCK = new StaticArray<u8>(64);
const OUT = new StaticArray<u8>(32);
// Messages up to 64 KiB; memory grows on demand in input_ptr's region.
let input: usize = 0;

export function input_ptr(len: u32): usize {
  if (input == 0) input = heap.alloc(65536);
  return input;
}

export function output_ptr(): usize {
  return changetype<usize>(OUT);
}

function compress(p: usize): void {
  for (let i = 0; i < 16; i++) {
    unchecked(W[i] = bswap<u32>(load<u32>(p + (<usize>i << 2))));
  }
  for (let i = 16; i < 64; i++) {
    const w15 = unchecked(W[i - 15]);
    const w2 = unchecked(W[i - 2]);
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    unchecked(W[i] = unchecked(W[i - 16]) + s0 + unchecked(W[i - 7]) + s1);
  }
  let a = unchecked(H[0]), b = unchecked(H[1]), c = unchecked(H[2]), d = unchecked(H[3]);
  let e = unchecked(H[4]), f = unchecked(H[5]), g = unchecked(H[6]), h = unchecked(H[7]);
  for (let i = 0; i < 64; i++) {
    const S1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = h + S1 + ch + unchecked(K[i]) + unchecked(W[i]);
    const S0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = S0 + maj;
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  unchecked(H[0] += a); unchecked(H[1] += b); unchecked(H[2] += c); unchecked(H[3] += d);
  unchecked(H[4] += e); unchecked(H[5] += f); unchecked(H[6] += g); unchecked(H[7] += h);
}

export function digest(len: u32): void {
  H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
  H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
  let p = input;
  let left = len;
  while (left >= 64) {
    compress(p);
    p += 64;
    left -= 64;
  }
  // Padding: 0x80, zeros, then the bit length big-endian, over one or two final blocks.
  const blk = changetype<usize>(BLOCK);
  memory.fill(blk, 0, 64);
  memory.copy(blk, p, left);
  store<u8>(blk + left, 0x80);
  if (left >= 56) {
    compress(blk);
    memory.fill(blk, 0, 64);
  }
  store<u64>(blk + 56, bswap<u64>(<u64>len << 3));
  compress(blk);
  const out = changetype<usize>(OUT);
  for (let i = 0; i < 8; i++) store<u32>(out + (<usize>i << 2), bswap<u32>(unchecked(H[i])));
}
