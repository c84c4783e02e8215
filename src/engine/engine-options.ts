// createEngine's options, checked before anything is built: plain JavaScript callers get no type
// checking, and a misspelt option is an option not applied (a `ratelimiter:` left a
// shared rate-limit store unused, each instance limiting on its own, without a word).

import { NoRulesError } from './engine-types.js';
import { wholeIsoMs } from '../receipt/iso-time.js';

/** The option names createEngine takes (EngineOptions). */
const OPTIONS = ['rules', 'evaluator', 'rateLimiter', 'now', 'wasm', 'limits', 'crypto', 'sourceWarnings', 'allowNoRules'] as const;

/** Throws a TypeError naming the first option that is unknown or not of its type. */
export function checkEngineOptions(opts: unknown): void {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('createEngine takes an options object, `{ rules: [...] }`');
  const given = opts as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if ((OPTIONS as readonly string[]).includes(name)) continue;
    const meant = OPTIONS.find((o) => o.toLowerCase() === name.toLowerCase());
    throw new TypeError(`unknown engine option \`${name}\`${meant ? `: did you mean \`${meant}\`?` : ''} (the options are ${OPTIONS.join(', ')})`);
  }
  const { rules, evaluator, rateLimiter, now, crypto, sourceWarnings, limits, wasm, allowNoRules } = given;
  if (!Array.isArray(rules)) throw new TypeError('engine option `rules` must be a list of `{ path, text }`');
  if (allowNoRules !== undefined && typeof allowNoRules !== 'boolean') throw new TypeError('engine option `allowNoRules` must be a boolean');
  // As createEngineFromDir, the standalone app and `mge serve` refuse it (a review, 11-29: the
  // core alone approved every check of an engine made from a bundle or fetch that came back empty).
  if (rules.length === 0 && allowNoRules !== true) {
    throw new NoRulesError('no rule source given (a bundle built without its rules, a fetch that came back empty?): every check would be approved; to decide against no rules, give one source holding `rules: []`, or pass `allowNoRules: true` to add rules later (putRule)');
  }
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
  if (crypto !== undefined && typeof (crypto as { sha256?: unknown } | null)?.sha256 !== 'function') throw new TypeError('engine option `crypto` must be a crypto backend (with `sha256`)');
  if (sourceWarnings !== undefined && !(Array.isArray(sourceWarnings) && sourceWarnings.every((d) => typeof d === 'object' && d !== null))) {
    throw new TypeError('engine option `sourceWarnings` must be a list of diagnostics');
  }
  // Raw errors otherwise: "Cannot convert undefined or null to object", a WebAssembly one.
  if (limits !== undefined && (typeof limits !== 'object' || limits === null || Array.isArray(limits))) throw new TypeError('engine option `limits` must be an object of request limits');
  if (wasm !== undefined && !(typeof WebAssembly !== 'undefined' && wasm instanceof WebAssembly.Module)) throw new TypeError('engine option `wasm` must be a compiled WebAssembly.Module (the package\'s mge.wasm)');
}

/**
 * evaluate's options (on every check: a loop over two keys at most). A misspelt `tennant:` or a
 * bare tenant string was judged as tenant `default`.
 */
export function checkEvaluateOptions(opts: unknown): void {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('evaluate takes options `{ tenant?, explain? }`');
  for (const name in opts) {
    if (name !== 'tenant' && name !== 'explain') throw new TypeError(`unknown evaluate option \`${name}\` (the options are tenant, explain)`);
  }
  const explain = (opts as { explain?: unknown }).explain;
  if (explain !== undefined && typeof explain !== 'boolean') throw new TypeError(`evaluate option \`explain\` must be true or false, got \`${String(explain)}\``);
}

/**
 * A clock reading a decision can carry, in whole milliseconds (a fractional clock such as
 * `performance.timeOrigin + performance.now()` made ids `dec-19ace6f6c00.8178…` that did not
 * sort by time; a review, 11-29); a TypeError naming the clock otherwise.
 */
export function checkedTime(ms: unknown): number {
  // Past year 9999 `request.time` read `+058875-…`, below "2026" as text: a microsecond clock
  // approved what a time rule denies.
  const whole = wholeIsoMs(ms);
  if (whole !== undefined) return whole;
  throw new TypeError(`the engine's clock (option \`now\`) gave ${typeof ms === 'number' ? String(ms) : `no number (${typeof ms})`}, not milliseconds since the epoch`);
}
