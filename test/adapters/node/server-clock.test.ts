// The Redis server's clock against the steady clock (src/adapters/node/server-clock.ts): the
// least offset over a nonce's longest life, so steps of the server's clock forward add up.

import { describe, expect, it } from 'vitest';
import { ServerClockOffsets } from '../../../src/adapters/node/server-clock.js';

describe('ServerClockOffsets', () => {
  it('keeps the least offset of the last three hours and a minute, a minute at a time', () => {
    let steady = 1_000_000_000;
    const clock = new ServerClockOffsets(() => steady);
    expect(clock.least()).toBeUndefined();
    clock.note(500);
    clock.note(450); // the same minute: its least
    steady += 60_000;
    clock.note(30_500); // a step of 30 s: the least stays where the server's clock was
    expect(clock.least()).toBe(450);
    // Three hours and a minute on, the first minutes are out of the window.
    steady += 3 * 3_600_000 + 2 * 60_000;
    clock.note(31_000);
    expect(clock.least()).toBe(31_000);
    clock.reset(-5);
    expect(clock.least()).toBe(-5);
  });
});
