// For tests that guard against a return of quadratic time on hostile input (a regex retried
// from every position, a scan per line): time at n and at 4n, best of three each, and compare.
// Linear work grows 4×, quadratic 16×; a ratio, unlike a bound in milliseconds, holds on a
// machine that is uniformly slow or busy.

/** Milliseconds of the fastest of `tries` runs of `run`. */
function fastest(run: () => void, tries = 3): number {
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * How much longer `work(4n)` takes than `work(n)`: about 4 for linear work, 16 for quadratic.
 * Pick n so that work(n) takes some milliseconds, or timer noise decides.
 * @example expect(growthOver4x((n) => readMdc(textOf(n), 'x.mdc'), 5_000)).toBeLessThan(9)
 */
export function growthOver4x(work: (n: number) => void, n: number): number {
  work(n); // warm up: the first run compiles the code under test
  const small = fastest(() => work(n));
  const large = fastest(() => work(4 * n));
  return large / Math.max(small, 1);
}
