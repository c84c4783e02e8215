// Checks that arrive in one turn of Node's event loop run back to back, after its I/O phase.
//
// Under load one turn reads many requests. Started as each is read, a check runs between two
// stretches of socket reads and HTTP parsing, which leave little of MGE's code and data in the
// CPU's caches: measured in `mge serve`, a check's evaluation cost 2–3× its cost right after
// another (docs/http.md). Deferred with setImmediate, every check read in a turn starts when
// the I/O phase is over, one after another. A request waits at most for the rest of its turn.

/** A `checkTurn` for createApp: one setImmediate per turn, shared by the checks that wait on it. */
export function nodeCheckTurn(): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    if (pending === undefined) {
      pending = new Promise<void>((resolve) => {
        setImmediate(() => {
          pending = undefined;
          resolve();
        });
      });
    }
    return pending;
  };
}
