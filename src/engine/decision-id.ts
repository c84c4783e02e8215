// Decision ids: `dec-` + 12 hex digits of milliseconds + 16 hex digits that increase within a
// millisecond (random start, then +1), so ids sort by time and never repeat in a process.
// The 64-bit counter is kept as two unsigned 32-bit halves (no BigInt on the hot path), and the
// text up to the low half is rebuilt only when the millisecond or the high half changes.

import { randomUint32 } from '../receipt/random-pool.js';

let lastMs = -1;
let head = '';
let hi = 0;
let lo = 0;

// Two hex digits per byte from a table: Number#toString(16) and padStart took about half of
// an id's cost.
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function hex8(x: number): string {
  return HEX2[x >>> 24] + HEX2[(x >>> 16) & 255] + HEX2[(x >>> 8) & 255] + HEX2[x & 255];
}

/**
 * @example newDecisionId(Date.now()) // 'dec-019ab3c4d5e60a1b2c3d4e5f6a7b'
 */
export function newDecisionId(nowMs: number): string {
  // Twelve hex digits of whole milliseconds: a clock before 1970 counts on from the epoch.
  const ms = Math.max(0, Math.floor(nowMs));
  if (ms > lastMs) {
    lastMs = ms;
    hi = randomUint32() & 0x7fffffff; // leave headroom so +1 within one millisecond never wraps
    lo = randomUint32();
    head = 'dec-' + lastMs.toString(16).padStart(12, '0') + hex8(hi);
  } else if (lo !== 0xffffffff) {
    // Same millisecond (or a clock that stepped back): keep order by counting on.
    lo++;
  } else {
    lo = 0;
    hi = hi === 0xffffffff ? 0 : hi + 1;
    head = head.slice(0, -8) + hex8(hi);
  }
  return head + hex8(lo);
}

/**
 * Makes every later id sort above `id`, an engine id a log already holds, even while the clock
 * is behind it. A log reopened after the clock stepped back (a restore, a restart before the
 * clock was set) would otherwise get new ids below its last one, and the audit log can clear
 * such an id as new only by reading entries back (src/audit/decision-index.ts). Ids of any
 * other form, and ids below the last one made here, change nothing.
 */
export function continueAfter(id: string): void {
  const m = /^dec-([0-9a-f]{12})([0-9a-f]{8})([0-9a-f]{8})$/.exec(id);
  if (m === null) return;
  const [ms, h, l] = [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
  if (ms < lastMs || (ms === lastMs && (h < hi || (h === hi && l <= lo)))) return;
  lastMs = ms;
  hi = h;
  lo = l;
  head = 'dec-' + m[1] + m[2];
}
