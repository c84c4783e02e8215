// How long MGE waits for a state store (rate limits, nonces) before it takes the store as not
// reached: an answer that never comes held a check, or a verification, for ever.

/** How long a store may take to answer before the check or verification is refused. */
export const STORE_DEADLINE_MS = 1000;

/**
 * `answer`, or a rejection once `ms` (STORE_DEADLINE_MS by default) has passed without one:
 * with `late()`'s error, when given.
 */
export function withinDeadline<T>(answer: Promise<T>, ms = STORE_DEADLINE_MS, late?: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late?.() ?? new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([answer, expired]).finally(() => clearTimeout(timer));
}
