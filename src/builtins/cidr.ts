// IP addresses and CIDR ranges for `inCidr(ip, cidr)` (docs/semantics.md "CIDR").
// Parsing is strict on purpose: a lenient parser (leading zeros read as octal, zone ids,
// shorthand like `10.1`) lets two parties read one address differently, and a deny rule on a
// range could then be dodged by spelling the address another way.

export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  prefix: number;
}

const DEC_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!DEC_OCTET.test(parts[i])) return null;
    const v = Number(parts[i]);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

/** The 16-bit groups of one side of `::`; a trailing dotted quad counts as two groups. */
function parseGroups(side: string, allowQuad: boolean): number[] | null {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (allowQuad && i === parts.length - 1 && p.includes('.')) {
      const q = parseIpv4(p);
      if (!q) return null;
      groups.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
    } else {
      if (!HEX_GROUP.test(p)) return null;
      groups.push(parseInt(p, 16));
    }
  }
  return groups;
}

function parseIpv6(s: string): Uint8Array | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0], false);
    const tail = parseGroups(halves[1], true);
    if (!head || !tail) return null;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null; // `::` stands for at least one zero group
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    const all = parseGroups(s, true);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * Parse an IPv4 dotted quad or an IPv6 address (RFC 4291 text form, no zone id).
 *
 * @example parseIp('::ffff:10.0.0.1') // { family: 6, bytes: 0…0 ff ff 0a 00 00 01 }
 */
export function parseIp(s: string): IpAddress | null {
  if (s.includes(':')) {
    const bytes = parseIpv6(s);
    return bytes ? { family: 6, bytes } : null;
  }
  const bytes = parseIpv4(s);
  return bytes ? { family: 4, bytes } : null;
}

/** Parse `address/prefix`; the prefix is decimal without leading zeros, within the family's width. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIp(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(len)) return null;
  const prefix = Number(len);
  if (prefix > ip.bytes.length * 8) return null;
  return { ...ip, prefix };
}

/** `::ffff:a.b.c.d` as the IPv4 address it carries, or null. */
function mappedIpv4(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length !== 16) return null;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return null;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return null;
  return bytes.slice(12);
}

function prefixMatches(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  if (a.length !== b.length) return false;
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}

/**
 * Is `ip` inside `cidr`? Host bits of the network are ignored. An IPv4-mapped IPv6 address
 * (and a mapped network with a prefix of at least 96) is matched as IPv4, so `::ffff:10.1.2.3`
 * is in `10.0.0.0/8`; an IPv4 address, in either spelling, is also in the IPv6 ranges its
 * mapped form is in (`::/0`, `::ffff:0:0/96`).
 */
export function inCidr(ip: string, cidr: string): boolean | 'invalid IP address' | 'invalid CIDR' {
  const addr = parseIp(ip);
  if (!addr) return 'invalid IP address';
  const net = parseCidr(cidr);
  if (!net) return 'invalid CIDR';
  if (prefixMatches(addr.bytes, net.bytes, net.prefix)) return true;
  const addr4 = mappedIpv4(addr.bytes) ?? (addr.family === 4 ? addr.bytes : null);
  const net4 = net.prefix >= 96 ? mappedIpv4(net.bytes) : null;
  if (addr4 && net4) return prefixMatches(addr4, net4, net.prefix - 96);
  if (addr4 && net.family === 4) return prefixMatches(addr4, net.bytes, net.prefix);
  // An IPv4 address is in the IPv6 ranges its mapped form `::ffff:a.b.c.d` is in (not only the
  // mapped spelling: else `inCidr("10.1.2.3", "::/0")` is false).
  if (addr.family === 4 && net.family === 6) return prefixMatches(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...addr.bytes), net.bytes, net.prefix);
  return false;
}
