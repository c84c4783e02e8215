// `inCidr(ip, cidr)` over UTF-8 bytes, the VM's twin of src/builtins/cidr.ts (same strictness:
// dotted quads without leading zeros, RFC 4291 IPv6 text with `::` and a trailing quad, no zone
// id, decimal prefix without leading zeros; IPv4-mapped IPv6 matched as IPv4).

const ADDR: usize = memory.data(16);
const NET: usize = memory.data(16);
const GROUPS: usize = memory.data(32); // up to 16 u16 groups while parsing one side
const QUAD: usize = memory.data(4); //    a trailing dotted quad while parsing groups

/** Decimal 0..999 without leading zeros over [p, e); -1 when malformed. */
function decimal(p: usize, e: usize): i32 {
  const n = <i32>(e - p);
  if (n < 1 || n > 3) return -1;
  if (n > 1 && load<u8>(p) == 0x30) return -1;
  let v = 0;
  for (let q = p; q < e; q++) {
    const c = <i32>load<u8>(q);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

function hexGroup(p: usize, e: usize): i32 {
  const n = <i32>(e - p);
  if (n < 1 || n > 4) return -1;
  let v = 0;
  for (let q = p; q < e; q++) {
    const c = <i32>load<u8>(q);
    let d = -1;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** Four dotted decimal parts into out[0..4]. */
function parseV4(p: usize, e: usize, out: usize): bool {
  let part = 0;
  let start = p;
  for (let q = p; q <= e; q++) {
    if (q == e || load<u8>(q) == 0x2e) {
      if (part > 3) return false;
      const v = decimal(start, q);
      if (v < 0 || v > 255) return false;
      store<u8>(out + part, <u8>v);
      part++;
      start = q + 1;
    }
  }
  return part == 4;
}

function hasByte(p: usize, e: usize, b: u8): bool {
  for (let q = p; q < e; q++) if (load<u8>(q) == b) return true;
  return false;
}

/** Groups of one side of `::` into GROUPS from index `at`; the count, or -1. */
function parseGroups(p: usize, e: usize, allowQuad: bool, at: i32): i32 {
  if (p == e) return 0;
  let n = 0;
  let start = p;
  for (let q = p; q <= e; q++) {
    if (q == e || load<u8>(q) == 0x3a) {
      if (at + n > 8) return -1;
      if (allowQuad && q == e && hasByte(start, q, 0x2e)) {
        const quad = QUAD;
        if (!parseV4(start, q, quad)) return -1;
        store<u16>(GROUPS + <usize>(at + n) * 2, (<u16>load<u8>(quad) << 8) | load<u8>(quad + 1));
        store<u16>(GROUPS + <usize>(at + n + 1) * 2, (<u16>load<u8>(quad + 2) << 8) | load<u8>(quad + 3));
        n += 2;
      } else {
        const g = hexGroup(start, q);
        if (g < 0) return -1;
        store<u16>(GROUPS + <usize>(at + n) * 2, <u16>g);
        n++;
      }
      start = q + 1;
    }
  }
  return n;
}

function parseV6(p: usize, e: usize, out: usize): bool {
  // Find `::` the way String.split('::') does: left to right, non-overlapping.
  let dc: usize = 0;
  let count = 0;
  for (let q = p; q + 1 < e; q++) {
    if (load<u8>(q) == 0x3a && load<u8>(q + 1) == 0x3a) {
      if (count == 0) dc = q;
      count++;
      q++;
    }
  }
  if (count > 1) return false;
  memory.fill(GROUPS, 0, 32);
  if (count == 1) {
    const h = parseGroups(p, dc, false, 0);
    if (h < 0) return false;
    // Parse the tail after the head, then move it to the end.
    const t = parseGroups(dc + 2, e, true, h);
    if (t < 0) return false;
    const missing = 8 - h - t;
    if (missing < 1) return false;
    for (let i = t - 1; i >= 0; i--) {
      const g = load<u16>(GROUPS + <usize>(h + i) * 2);
      store<u16>(GROUPS + <usize>(h + i) * 2, 0);
      store<u16>(GROUPS + <usize>(h + missing + i) * 2, g);
    }
  } else {
    if (parseGroups(p, e, true, 0) != 8) return false;
  }
  for (let i = 0; i < 8; i++) {
    const g = load<u16>(GROUPS + <usize>i * 2);
    store<u8>(out + <usize>i * 2, <u8>(g >> 8));
    store<u8>(out + <usize>i * 2 + 1, <u8>(g & 0xff));
  }
  return true;
}

/** 4 or 16 (bytes in out), or 0 when invalid. */
function parseIp(p: usize, e: usize, out: usize): i32 {
  if (hasByte(p, e, 0x3a)) return parseV6(p, e, out) ? 16 : 0;
  return parseV4(p, e, out) ? 4 : 0;
}

function prefixMatches(a: usize, b: usize, prefix: i32): bool {
  let bits = prefix;
  for (let i: usize = 0; bits > 0; i++, bits -= 8) {
    const mask: u32 = bits >= 8 ? 0xff : <u32>((0xff << (8 - bits)) & 0xff);
    if ((<u32>load<u8>(a + i) & mask) != (<u32>load<u8>(b + i) & mask)) return false;
  }
  return true;
}

/** Pointer to the IPv4 address an IPv4-mapped IPv6 address carries, or 0. */
function mapped(p: usize, len: i32): usize {
  if (len != 16) return 0;
  for (let i: usize = 0; i < 10; i++) if (load<u8>(p + i) != 0) return 0;
  if (load<u8>(p + 10) != 0xff || load<u8>(p + 11) != 0xff) return 0;
  return p + 12;
}

/** 1 in, 0 not in, -1 invalid IP, -2 invalid CIDR. */
export function inCidr(ip: usize, ipLen: u32, cidr: usize, cidrLen: u32): i32 {
  const al = parseIp(ip, ip + ipLen, ADDR);
  if (al == 0) return -1;
  const ce = cidr + cidrLen;
  let slash: usize = 0;
  for (let q = cidr; q < ce; q++) {
    if (load<u8>(q) == 0x2f) {
      slash = q;
      break;
    }
  }
  if (slash == 0) return -2;
  const nl = parseIp(cidr, slash, NET);
  if (nl == 0) return -2;
  const prefix = decimal(slash + 1, ce);
  if (prefix < 0 || prefix > nl * 8) return -2;
  if (al == nl && prefixMatches(ADDR, NET, prefix)) return 1;
  const a4 = al == 4 ? ADDR : mapped(ADDR, al);
  const n4 = prefix >= 96 ? mapped(NET, nl) : 0;
  if (a4 != 0 && n4 != 0) return prefixMatches(a4, n4, prefix - 96) ? 1 : 0;
  if (a4 != 0 && nl == 4) return prefixMatches(a4, NET, prefix) ? 1 : 0;
  if (al == 4 && nl == 16) {
    // An IPv4 address is in the IPv6 ranges its mapped form `::ffff:a.b.c.d` is in.
    for (let i = 3; i >= 0; i--) store<u8>(ADDR + 12 + <usize>i, load<u8>(ADDR + <usize>i));
    memory.fill(ADDR, 0, 10);
    store<u8>(ADDR + 10, 0xff);
    store<u8>(ADDR + 11, 0xff);
    return prefixMatches(ADDR, NET, prefix) ? 1 : 0;
  }
  return 0;
}
