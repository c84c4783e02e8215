// createEngine's options, checked before anything is built: plain JavaScript callers get no type
// checking, and a misspelt option is an option not applied (a review's `ratelimiter:` left a
// shared rate-limit store unused, each instance limiting on its own, without a word).

/** The option names createEngine takes (EngineOptions). */
const OPTIONS = ['rules', 'evaluator', 'rateLimiter', 'now', 'wasm', 'limits', 'crypto', 'sourceWarnings'] as const;

/** Throws a TypeError naming the first option that is unknown or not of its type. */
export function checkEngineOptions(opts: unknown): void {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('createEngine takes an options object, `{ rules: [...] }`');
  const given = opts as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if ((OPTIONS as readonly string[]).includes(name)) continue;
    const meant = OPTIONS.find((o) => o.toLowerCase() === name.toLowerCase());
    throw new TypeError(`unknown engine option \`${name}\`${meant ? `: did you mean \`${meant}\`?` : ''} (the options are ${OPTIONS.join(', ')})`);
  }
  const { rules, evaluator, rateLimiter, now, crypto, sourceWarnings } = given;
  if (!Array.isArray(rules)) throw new TypeError('engine option `rules` must be a list of `{ path, text }` (an empty list for none)');
  rules.forEach((r: unknown, i) => {
    const file = r as { path?: unknown; text?: unknown } | null;
    if (typeof file !== 'object' || file === null || typeof file.path !== 'string' || typeof file.text !== 'string') {
      throw new TypeError(`engine option \`rules[${i}]\` must be \`{ path: string, text: string }\``);
    }
  });
  if (evaluator !== undefined && evaluator !== 'vm' && evaluator !== 'oracle') {
    throw new TypeError(`engine option \`evaluator\` must be \`vm\` or \`oracle\`, got \`${String(evaluator)}\``);
  }
  if (rateLimiter !== undefined && typeof (rateLimiter as { take?: unknown } | null)?.take !== 'function') {
    throw new TypeError('engine option `rateLimiter` must have a `take(bucket, capacity, refillPerSecond, nowMs)` method');
  }
  if (now !== undefined && typeof now !== 'function') throw new TypeError('engine option `now` must be a function giving milliseconds since the epoch');
  if (crypto !== undefined && (typeof crypto !== 'object' || crypto === null)) throw new TypeError('engine option `crypto` must be a crypto backend');
  if (sourceWarnings !== undefined && !Array.isArray(sourceWarnings)) throw new TypeError('engine option `sourceWarnings` must be a list of diagnostics');
}

/** The latest time a Date can hold, either side of the epoch (ECMAScript §21.4.1.22). */
const MAX_TIME_MS = 8.64e15;

/** A clock reading a decision can carry; a TypeError naming the clock otherwise. */
export function checkedTime(ms: unknown): number {
  if (typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS) return ms;
  throw new TypeError(`the engine's clock (option \`now\`) gave ${typeof ms === 'number' ? String(ms) : `no number (${typeof ms})`}, not milliseconds since the epoch`);
}
