import { describe, expect, it } from 'vitest';
import { inCidr, parseCidr, parseIp } from '../../src/builtins/cidr.js';

const hex = (b: Uint8Array | undefined): string => (b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : 'null');

describe('parseIp', () => {
  it('reads strict dotted quads', () => {
    expect(parseIp('10.0.0.1')).toEqual({ family: 4, bytes: new Uint8Array([10, 0, 0, 1]) });
    expect(hex(parseIp('255.255.255.255')?.bytes)).toBe('ffffffff');
    expect(hex(parseIp('0.0.0.0')?.bytes)).toBe('00000000');
    for (const bad of ['010.0.0.1', '10.0.0', '10.0.0.0.1', '256.0.0.1', '1.2.3.-4', '1.2.3.4 ', ' 1.2.3.4', '1..2.3', '0x1.2.3.4', '', '1.2.3.4/8', '١.2.3.4']) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it('reads IPv6 with compression and embedded dotted quads', () => {
    expect(hex(parseIp('::')?.bytes)).toBe('0'.repeat(32));
    expect(hex(parseIp('::1')?.bytes)).toBe('0'.repeat(31) + '1');
    expect(hex(parseIp('fe80::')?.bytes)).toBe('fe80' + '0'.repeat(28));
    expect(hex(parseIp('2001:DB8::8:800:200C:417A')?.bytes)).toBe('20010db8000000000008080020 0c417a'.replace(' ', ''));
    expect(hex(parseIp('1:2:3:4:5:6:7:8')?.bytes)).toBe('00010002000300040005000600070008');
    expect(hex(parseIp('1:2:3:4:5:6:7::')?.bytes)).toBe('00010002000300040005000600070000');
    expect(hex(parseIp('::ffff:10.1.2.3')?.bytes)).toBe('00000000000000000000ffff0a010203');
    expect(hex(parseIp('1:2:3:4:5:6:1.2.3.4')?.bytes)).toBe('00010002000300040005000601020304');
    expect(parseIp('::1')?.family).toBe(6);
  });

  it('rejects malformed IPv6', () => {
    for (const bad of [':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', 'fe80::1%eth0', ':1::', '1::2:',
      '1:2:3:4:5:6:7:8::', '::1.2.3.4.5', '::ffff:1.2.3', '1.2.3.4::', '::01.2.3.4', '[::1]']) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });
});

describe('parseCidr', () => {
  it('reads an address and an in-range prefix', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ family: 4, bytes: new Uint8Array([10, 0, 0, 0]), prefix: 8 });
    expect(parseCidr('::/0')?.prefix).toBe(0);
    expect(parseCidr('fd00::/128')?.prefix).toBe(128);
    expect(parseCidr('1.2.3.4/32')?.prefix).toBe(32);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/-1', '::/129', '10.0.0.0/8/8', '/8', 'x/8', '10.0.0.0/ 8']) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });
});

describe('inCidr', () => {
  it('matches IPv4 prefixes, ignoring host bits of the network', () => {
    expect(inCidr('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inCidr('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(inCidr('10.1.2.3', '10.9.9.9/8')).toBe(true);
    expect(inCidr('192.168.1.130', '192.168.1.128/25')).toBe(true);
    expect(inCidr('192.168.1.127', '192.168.1.128/25')).toBe(false);
    expect(inCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(inCidr('1.2.3.4', '1.2.3.4/32')).toBe(true);
    expect(inCidr('1.2.3.5', '1.2.3.4/32')).toBe(false);
    expect(inCidr('172.31.255.255', '172.16.0.0/12')).toBe(true);
    expect(inCidr('172.32.0.0', '172.16.0.0/12')).toBe(false);
  });

  it('matches IPv6 prefixes', () => {
    expect(inCidr('fd12:3456::1', 'fd00::/8')).toBe(true);
    expect(inCidr('fe80::1', 'fd00::/8')).toBe(false);
    expect(inCidr('2001:db8::1', '2001:db8::/32')).toBe(true);
    expect(inCidr('2001:db9::1', '2001:db8::/32')).toBe(false);
    expect(inCidr('::1', '::1/128')).toBe(true);
    expect(inCidr('2001:db8:0:0:0:0:0:1', '2001:db8::1/128')).toBe(true);
  });

  it('matches IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(inCidr('::ffff:10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inCidr('::ffff:a01:203', '10.0.0.0/8')).toBe(true);
    expect(inCidr('::ffff:11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(inCidr('10.1.2.3', '::ffff:10.0.0.0/104')).toBe(true);
    expect(inCidr('::ffff:10.1.2.3', '::ffff:10.0.0.0/104')).toBe(true);
    expect(inCidr('::ffff:10.1.2.3', '::/0')).toBe(true);
    // Not mapped: the IPv4-compatible form (deprecated) is an IPv6 address like any other.
    expect(inCidr('::10.1.2.3', '10.0.0.0/8')).toBe(false);
  });

  it('matches an IPv4 address against IPv6 ranges as its mapped form, in either spelling', () => {
    expect(inCidr('10.1.2.3', '::/0')).toBe(true);
    expect(inCidr('10.1.2.3', '::ffff:0:0/95')).toBe(true);
    expect(inCidr('10.1.2.3', '::/81')).toBe(false);
    expect(inCidr('10.1.2.3', '64:ff9b::/96')).toBe(false);
  });

  it('does not match across families otherwise', () => {
    expect(inCidr('::1', '0.0.0.0/0')).toBe(false);
    expect(inCidr('::ffff:10.1.2.3', '0.0.0.0/1')).toBe(true); // mapped: IPv4
  });

  it('reports which argument is invalid', () => {
    expect(inCidr('10.0.0.256', '10.0.0.0/8')).toBe('invalid IP address');
    expect(inCidr('fe80::1%eth0', 'fe80::/10')).toBe('invalid IP address');
    expect(inCidr('10.0.0.1', '10.0.0.0/33')).toBe('invalid CIDR');
    expect(inCidr('10.0.0.1', '10.0.0.1')).toBe('invalid CIDR');
    expect(inCidr('nope', 'nope')).toBe('invalid IP address');
  });
});
