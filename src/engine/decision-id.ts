// Decision ids: `dec-` + 12 hex digits of milliseconds + 16 hex digits that increase within a
// millisecond (random start, then +1), so ids sort by time and never repeat in a process.

let lastMs = -1;
let counter = 0n;
const MAX_COUNTER = (1n << 64n) - 1n;

function randomCounter(): bigint {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  b[0] &= 0x7f; // leave headroom so +1 within one millisecond never wraps
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/**
 * @example newDecisionId(Date.now()) // 'dec-019ab3c4d5e60a1b2c3d4e5f6a7b'
 */
export function newDecisionId(nowMs: number): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = randomCounter();
  } else {
    // Same millisecond (or a clock that stepped back): keep order by counting on.
    counter = counter === MAX_COUNTER ? 0n : counter + 1n;
  }
  return 'dec-' + lastMs.toString(16).padStart(12, '0') + counter.toString(16).padStart(16, '0');
}
