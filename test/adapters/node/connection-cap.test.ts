// The default connection cap: half the open-file limit Linux reports less the tenants' files, a fixed one where unknown.

import { describe, expect, it } from 'vitest';
import { defaultMaxConnections, openFileLimit } from '../../../src/adapters/node/connection-cap.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
`;

describe('connection cap', () => {
  it('reads the soft open-file limit from /proc/self/limits', () => {
    expect(openFileLimit(() => LIMITS)).toBe(20000);
    expect(openFileLimit(() => LIMITS.replace('20000                20000', '1024                 524288'))).toBe(1024);
    expect(openFileLimit(() => LIMITS.replace('20000                20000', 'unlimited            unlimited'))).toBeUndefined();
    expect(openFileLimit(() => { throw new Error('ENOENT'); })).toBeUndefined();
    if (process.platform === 'linux') expect(openFileLimit()).toBeGreaterThan(0);
  });

  it('is half the limit, at least one, or 4 096 where the limit is unknown', () => {
    expect(defaultMaxConnections(20000)).toBe(10000);
    expect(defaultMaxConnections(1025)).toBe(512);
    expect(defaultMaxConnections(1)).toBe(1);
    expect(defaultMaxConnections(undefined)).toBe(4096);
  });

  // A review (11-29): 600 tenants' logs and half of a 1 024 limit for connections: 401 idle
  // connections took every descriptor, and the lock could no longer be read back.
  it('leaves each tenant known at start its files before halving', () => {
    expect(defaultMaxConnections(1024, 400)).toBe(112);
    expect(defaultMaxConnections(1024, 600)).toBe(1);
    expect(defaultMaxConnections(20000, 1)).toBe(9999);
    expect(defaultMaxConnections(undefined, 600)).toBe(4096);
  });
});
